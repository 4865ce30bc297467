"""The erasure log: every tombstone as a JSON line, kept outside the database.

A database restored from a backup taken before an erasure would bring the
erased signer back. The log is what still knows about that erasure: the
housekeeping sweep merges the database's tombstones into it every minute,
``manage.py backup`` puts a copy beside each database backup, and
``manage.py restore`` replays the union of both (docs/operations.md).

A line holds the petition id, the keyed e-mail hash, the time and the
reason; never an address. A line may instead record another withdrawal
that erases an address without erasing the row (``WithdrawalRecord``): an
unsubscribe from updates (``"kind": "unsubscribe"``, of a signature, an RSVP
or a coordinator) or a cancelled RSVP (``"kind": "cancel"``), with the
campaign id, the row's uuid (a coordinator's keyed e-mail hash), how and
when; or an address a mail provider reported undeliverable
(``"kind": "undeliverable"``: its keyed hash, bounced or complained, when
and which provider). This module only reads and writes such lines; the apps
make and replay them (``updates.unsubscribelog``, ``events.cancellog``,
``signatures.undeliverablelog``), and core hands them to the log. A line
without a kind is an erasure, so logs and backups written before keep their
meaning. The log only grows: merging never drops a line the file already
has, so a database restored by hand and swept before its erasures were
replayed cannot shrink it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from safepassage.lib.privatefiles import FILE_MODE, private_dir, write_atomic
from safepassage.signatures.models import Erasure


@dataclass(frozen=True)
class ErasureRecord:
    petition_id: int
    email_hash: str
    erased_at: datetime
    reason: str

    @property
    def key(self) -> tuple[str, int, str, datetime | None]:
        return ("erasure", self.petition_id, self.email_hash, self.erased_at)

    @property
    def order(self) -> tuple[datetime, int, int, str]:
        return (self.erased_at, 0, self.petition_id, self.email_hash)

    def to_json(self) -> str:
        return json.dumps(
            {
                "petition": self.petition_id,
                "email_hash": self.email_hash,
                "erased_at": self.erased_at.isoformat(),
                "reason": self.reason,
            },
            sort_keys=True,
        )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ErasureRecord:
        erased_at = _aware(item["erased_at"])
        return cls(int(item["petition"]), str(item["email_hash"]), erased_at, str(item["reason"]))

    def as_replay(self) -> tuple[int, str, datetime, str]:
        """The tuple ``services.replay_erasures`` takes."""
        return (self.petition_id, self.email_hash, self.erased_at, self.reason)


@dataclass(frozen=True)
class WithdrawalRecord:
    """An unsubscribe or a cancelled RSVP: re-applied after a restore."""

    TARGETS = {
        "unsubscribe": frozenset({"signature", "rsvp", "coordinator"}),
        "cancel": frozenset({"rsvp"}),
    }

    kind: str  # "unsubscribe" or "cancel"
    target: str  # "signature", "rsvp" or "coordinator"
    campaign_id: int
    ref: str  # the signature's or RSVP's uuid; a coordinator's keyed e-mail hash
    at: datetime  # an unsubscribe's time; for a cancel, when the cancelled RSVP was made
    via: str

    @property
    def key(self) -> tuple[str, int, str, datetime | None]:
        # One unsubscribe per row and campaign: its time does not make another. A
        # cancel's time is when the cancelled RSVP was made: a cancelled RSVP opened
        # again and cancelled again is another cancel.
        at = self.at if self.kind == "cancel" else None
        return (f"{self.kind}:{self.target}", self.campaign_id, self.ref, at)

    @property
    def order(self) -> tuple[datetime, int, int, str]:
        return (self.at, 1, self.campaign_id, f"{self.kind}:{self.target}:{self.ref}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "target": self.target,
                "campaign": self.campaign_id,
                "ref": self.ref,
                "at": self.at.isoformat(),
                "via": self.via,
            },
            sort_keys=True,
        )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> WithdrawalRecord:
        kind, target = str(item["kind"]), str(item["target"])
        if target not in cls.TARGETS.get(kind, ()):
            raise ValueError(f"unknown target {target!r} of {kind!r}")
        ref = str(item["ref"])
        if "@" in ref:
            raise ValueError("a withdrawal names its row by uuid or keyed hash, not address")
        at = _aware(item["at"])
        return cls(kind, target, int(item["campaign"]), ref, at, str(item["via"]))


@dataclass(frozen=True)
class UndeliverableRecord:
    """An address a mail provider reported as bouncing or complaining: re-marked after a restore.

    Only the keyed hash of the address (``outbox.Undeliverable``), the reason,
    when and which provider said so. Written and replayed by
    ``signatures.undeliverablelog``.
    """

    REASONS = frozenset({"bounced", "complained"})

    email_hash: str
    reason: str  # "bounced" or "complained"
    at: datetime
    provider: str

    @property
    def key(self) -> tuple[str, int, str, datetime | None]:
        # One line per address and reason: a complaint after a bounce is kept too.
        return (f"undeliverable:{self.reason}", 0, self.email_hash, None)

    @property
    def order(self) -> tuple[datetime, int, int, str]:
        return (self.at, 2, 0, f"undeliverable:{self.reason}:{self.email_hash}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": "undeliverable",
                "email_hash": self.email_hash,
                "reason": self.reason,
                "at": self.at.isoformat(),
                "provider": self.provider,
            },
            sort_keys=True,
        )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> UndeliverableRecord:
        reason = str(item["reason"])
        if reason not in cls.REASONS:
            raise ValueError(f"unknown reason {reason!r} of undeliverable")
        digest = str(item["email_hash"])
        if "@" in digest:
            raise ValueError("an undeliverable address is named by its keyed hash, not itself")
        return cls(digest, reason, _aware(item["at"]), str(item.get("provider", "")))


Record = ErasureRecord | WithdrawalRecord | UndeliverableRecord


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def from_json(line: str) -> Record:
    item = json.loads(line)
    if not isinstance(item, dict):
        raise TypeError("a line must be a JSON object")
    kind = item.get("kind", "erasure")  # lines written before unsubscribes have no kind
    if kind == "erasure":
        return ErasureRecord.from_item(item)
    if kind in WithdrawalRecord.TARGETS:
        return WithdrawalRecord.from_item(item)
    if kind == "undeliverable":
        return UndeliverableRecord.from_item(item)
    raise ValueError(f"unknown kind {kind!r}")


def erasures(records: Iterable[Record]) -> list[ErasureRecord]:
    return [record for record in records if isinstance(record, ErasureRecord)]


def withdrawals(records: Iterable[Record], kind: str) -> list[WithdrawalRecord]:
    return [r for r in records if isinstance(r, WithdrawalRecord) and r.kind == kind]


def unsubscribes(records: Iterable[Record]) -> list[WithdrawalRecord]:
    return withdrawals(records, "unsubscribe")


def cancellations(records: Iterable[Record]) -> list[WithdrawalRecord]:
    return withdrawals(records, "cancel")


def undeliverables(records: Iterable[Record]) -> list[UndeliverableRecord]:
    return [record for record in records if isinstance(record, UndeliverableRecord)]


def database_records() -> list[ErasureRecord]:
    rows = Erasure.objects.order_by("erased_at", "pk").values_list(
        "petition_id", "email_hash", "erased_at", "reason"
    )
    return [ErasureRecord(*row) for row in rows.iterator()]


def parse(lines: Iterable[str]) -> list[Record]:
    """Read JSON lines; a malformed line is an error (ValueError naming its number)."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(from_json(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: {exc!r}") from exc
    return records


def read(path: Path) -> list[Record]:
    """The records of a log file; none if it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return parse(handle)
    except FileNotFoundError:
        return []


def merge(*sources: Iterable[Record]) -> list[Record]:
    """Every record once, oldest first.

    An erasure is one by petition, hash and time; an unsubscribe by its
    target, campaign and uuid or hash; an undeliverable address by its hash
    and reason (the first one seen is kept).
    """
    seen: dict[tuple[str, int, str, datetime | None], Record] = {}
    for source in sources:
        for record in source:
            seen.setdefault(record.key, record)
    return sorted(seen.values(), key=lambda r: r.order)


def render(records: Iterable[Record]) -> bytes:
    return "".join(record.to_json() + "\n" for record in records).encode()


def log_path() -> Path:
    return Path(settings.ERASURE_LOG_PATH)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One merger at a time per log file (several workers may sweep at once)."""
    private_dir(path.parent)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def append(records: Iterable[Record], path: Path | None = None) -> int:
    """Merge ``records`` into the log file; return how many were new to it.

    Idempotent: when nothing is new the file is not touched. Otherwise it is
    replaced whole (temporary file, fsync, rename), 0600.
    """
    path = path or log_path()
    with _locked(path):
        existing = read(path)
        combined = merge(existing, records)
        added = len(combined) - len({record.key for record in existing})
        if added or not path.exists():
            write_atomic(path, render(combined))
    return added


def export(extra: Iterable[Record] = (), path: Path | None = None) -> int:
    """Merge the database's tombstones (and ``extra``) into the log; return how many were new.

    ``extra`` is how the layers above add their own records (the updates
    app's unsubscribes, through core's housekeeping and backups).
    """
    return append([*database_records(), *extra], path)

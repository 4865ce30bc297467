"""The erasure log: every tombstone as a JSON line, kept outside the database.

A database restored from a backup taken before an erasure would bring the
erased signer back. The log is what still knows about that erasure: the
housekeeping sweep merges the database's tombstones into it every minute,
``manage.py backup`` puts a copy beside each database backup, and
``manage.py restore`` replays the union of both (docs/operations.md).

A line holds the petition id, the keyed e-mail hash, the time and the
reason; never an address. The log only grows: merging never drops a line the
file already has, so a database restored by hand and swept before its
erasures were replayed cannot shrink it.
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
    def key(self) -> tuple[int, str, datetime]:
        return (self.petition_id, self.email_hash, self.erased_at)

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
    def from_json(cls, line: str) -> ErasureRecord:
        item = json.loads(line)
        erased_at = datetime.fromisoformat(item["erased_at"])
        if erased_at.tzinfo is None:
            erased_at = erased_at.replace(tzinfo=UTC)
        return cls(int(item["petition"]), str(item["email_hash"]), erased_at, str(item["reason"]))

    def as_replay(self) -> tuple[int, str, datetime, str]:
        """The tuple ``services.replay_erasures`` takes."""
        return (self.petition_id, self.email_hash, self.erased_at, self.reason)


def database_records() -> list[ErasureRecord]:
    rows = Erasure.objects.order_by("erased_at", "pk").values_list(
        "petition_id", "email_hash", "erased_at", "reason"
    )
    return [ErasureRecord(*row) for row in rows.iterator()]


def parse(lines: Iterable[str]) -> list[ErasureRecord]:
    """Read JSON lines; a malformed line is an error (ValueError naming its number)."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(ErasureRecord.from_json(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: {exc!r}") from exc
    return records


def read(path: Path) -> list[ErasureRecord]:
    """The records of a log file; none if it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return parse(handle)
    except FileNotFoundError:
        return []


def merge(*sources: Iterable[ErasureRecord]) -> list[ErasureRecord]:
    """Every record once (by petition, hash and time), oldest first."""
    seen: dict[tuple[int, str, datetime], ErasureRecord] = {}
    for source in sources:
        for record in source:
            seen.setdefault(record.key, record)
    return sorted(seen.values(), key=lambda r: (r.erased_at, r.petition_id, r.email_hash))


def render(records: Iterable[ErasureRecord]) -> bytes:
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


def append(records: Iterable[ErasureRecord], path: Path | None = None) -> int:
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


def export(extra: Iterable[ErasureRecord] = (), path: Path | None = None) -> int:
    """Merge the database's tombstones (and ``extra``) into the log; return how many were new."""
    return append([*database_records(), *extra], path)

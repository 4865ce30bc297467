"""Backups that keep erasures erased: the database and the erasure log, together.

A backup is a directory ``safepassage-<UTC time>`` (0700) holding the
database (an SQLite online-backup copy, or a ``pg_dump`` custom-format
archive), ``erasures.jsonl`` (every tombstone: petition, keyed hash, time,
reason) and ``manifest.json`` (time, database kind, applied migrations,
size and sha256 of each file). Every file is 0600. The keys (``SECRET_KEY``,
``SIGNER_HASH_KEY``, ``ENCRYPTION_KEYS``) live in the environment, never in
the database, so they are never in a backup.

Restoring puts the database back, migrates it, and replays every erasure
known from the backup's own log, from the erasure log outside the database
(``ERASURE_LOG_PATH``) and from the database being replaced, so a signer who
withdrew after the backup was taken is erased again before the application
serves. The same log holds the withdrawals that erase an address but keep
the row (by uuid or keyed hash): cancelled RSVPs and the updates app's
unsubscribes; and the addresses a mail provider reported undeliverable (by
keyed hash). They are replayed after the erasures, so whoever cancelled or
unsubscribed after the backup stays so, address erased, and an address that
bounced or complained after it is mailed no more. See docs/operations.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from safepassage.core import pgtools
from safepassage.core.pgtools import BackupError as BackupError
from safepassage.events import cancellog
from safepassage.lib.privatefiles import create_private, fsync_dir, private_dir
from safepassage.outbox.models import Message
from safepassage.signatures import erasurelog, undeliverablelog
from safepassage.signatures.services import replay_erasures
from safepassage.updates import unsubscribelog

FORMAT = 1
MANIFEST = "manifest.json"
ERASURES = "erasures.jsonl"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass
class Backup:
    path: Path
    database: str
    erasures: int
    size: int


@dataclass
class Restored:
    database: str
    taken_at: str
    erasures_in_backup: int
    erasures_in_log: int
    erasures_in_replaced_database: int
    erasures_known: int
    signatures_removed: int
    mail_withheld: int
    unsubscribes_known: int = 0
    unsubscribes_reapplied: int = 0
    cancels_known: int = 0
    cancels_reapplied: int = 0
    undeliverable_known: int = 0
    undeliverable_reapplied: int = 0


def withdrawal_records() -> list[erasurelog.Record]:
    """The database's withdrawals that keep their row: cancelled RSVPs, unsubscribes,
    and the addresses reported undeliverable."""
    return [
        *cancellog.database_records(),
        *unsubscribelog.database_records(),
        *undeliverablelog.database_records(),
    ]


def database_kind() -> str:
    vendor = connections["default"].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections["default"]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    with os.fdopen(create_private(path), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# --- Taking a backup -----------------------------------------------------------------


def create_backup(destination: Path) -> Backup:
    """Write a complete backup under ``destination``; it appears whole or not at all."""
    kind = database_kind()
    private_dir(destination)
    taken_at = datetime.now(UTC)
    final = destination / f"safepassage-{taken_at:%Y%m%dT%H%M%SZ}"
    suffix = 1
    while final.exists():
        suffix += 1
        final = destination / f"safepassage-{taken_at:%Y%m%dT%H%M%SZ}-{suffix}"
    partial = destination / f".{final.name}.partial-{secrets.token_hex(4)}"
    os.mkdir(partial, 0o700)
    os.chmod(partial, 0o700)
    try:
        migrations = applied_migrations()
        database_file = partial / DATABASE_FILES[kind]
        if kind == "sqlite":
            _backup_sqlite(Path(connections["default"].settings_dict["NAME"]), database_file)
        else:
            pgtools.dump(database_file)
        # Read after the copy, so the log holds at least every tombstone the copy holds;
        # with the outside log merged in, also those a restored database had lost.
        records = erasurelog.merge(
            erasurelog.read(erasurelog.log_path()),
            erasurelog.database_records(),
            withdrawal_records(),
        )
        _write_private(partial / ERASURES, erasurelog.render(records))
        files: dict[str, dict[str, Any]] = {
            name: {"bytes": (partial / name).stat().st_size, "sha256": _sha256(partial / name)}
            for name in (DATABASE_FILES[kind], ERASURES)
        }
        manifest = {
            "format": FORMAT,
            "application": "safepassage",
            "taken_at": taken_at.isoformat(),
            "database": kind,
            "migrations": migrations,
            "erasures": len(erasurelog.erasures(records)),
            "unsubscribes": len(erasurelog.unsubscribes(records)),
            "cancels": len(erasurelog.cancellations(records)),
            "undeliverable": len(erasurelog.undeliverables(records)),
            "files": files,
        }
        _write_private(partial / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
        fsync_dir(partial)
        os.rename(partial, final)
        fsync_dir(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    # The outside log must stay the newest of both.
    erasurelog.export(records)
    size = sum(int(entry["bytes"]) for entry in files.values())
    return Backup(path=final, database=kind, erasures=len(erasurelog.erasures(records)), size=size)


def _backup_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while the application keeps writing."""
    if not source.exists():
        raise BackupError(f"the database {source} does not exist")
    os.close(create_private(target))
    # Read in one step (pages=-1): one read transaction, one snapshot; in WAL
    # mode writers carry on meanwhile.
    with _sqlite(source, timeout=30) as live, _sqlite(target) as copy:
        live.backup(copy, pages=-1)
        # The copy inherits WAL mode; make it one self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")
        # The pages and indexes, not the CHECK constraints: those call functions
        # (REGEXP) that only Django's connections define.
        copy.execute("PRAGMA ignore_check_constraints=ON")
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise BackupError(f"the copy of the database fails SQLite's check: {verdict}")


class _sqlite:
    """A raw sqlite3 connection that is closed on leaving (sqlite3's own only commits)."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.connection = sqlite3.connect(path, timeout=timeout)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


# --- Restoring -----------------------------------------------------------------------


def read_manifest(backup: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file against its sha256."""
    try:
        manifest: dict[str, Any] = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup} is not a complete backup: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("database") not in DATABASE_FILES:
        raise BackupError(f"{backup}: unknown backup format")
    # Only these names are ever read from a backup: a manifest cannot point elsewhere.
    expected = {DATABASE_FILES[manifest["database"]], ERASURES}
    if set(manifest.get("files", {})) != expected:
        raise BackupError(f"{backup}: the manifest does not list the expected files")
    for name, entry in manifest["files"].items():
        path = backup / name
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"{backup}: {name} is missing or damaged (sha256 differs)")
    return manifest


def _refuse_unknown_migrations(manifest: dict[str, Any]) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "the backup was taken by a newer version of safepassage (unknown migrations: "
            + ", ".join(unknown[:5])
            + "); install that version, restore, then upgrade"
        )


def _pending_mail() -> int:
    return Message.objects.filter(status__in=Message.PENDING_STATUSES).count()


@dataclass
class _Replayed:
    removed: int = 0
    withheld: int = 0
    cancels: int = 0
    unsubscribes: int = 0
    undeliverable: int = 0


def _migrate_and_replay(records: list[erasurelog.Record]) -> _Replayed:
    """Migrate, erase again, cancel RSVPs again, unsubscribe again, mark undeliverable again."""
    call_command("migrate", interactive=False, verbosity=0)
    pending = _pending_mail()
    done = _Replayed()
    done.removed = replay_erasures([record.as_replay() for record in erasurelog.erasures(records)])
    done.cancels = cancellog.replay(erasurelog.cancellations(records))
    done.unsubscribes = unsubscribelog.replay(erasurelog.unsubscribes(records))
    done.undeliverable = undeliverablelog.replay(erasurelog.undeliverables(records))
    done.withheld = pending - _pending_mail()
    return done


def restore_backup(backup: Path, say: Callable[[str], None] = print) -> Restored:
    """Replace the configured database with ``backup`` and erase again whoever was erased.

    The application must be stopped: a restore refuses to start while it
    sees other connections to the database.
    """
    manifest = read_manifest(backup)
    kind = database_kind()
    if manifest["database"] != kind:
        raise BackupError(f"the backup holds a {manifest['database']} database; this one is {kind}")
    _refuse_unknown_migrations(manifest)
    in_backup = erasurelog.read(backup / ERASURES)
    outside = erasurelog.read(erasurelog.log_path())
    if kind == "sqlite":
        _refuse_if_sqlite_in_use()
    else:
        pgtools.refuse_if_in_use()
    replaced = _erasures_of_current_database()
    # Before anything is replaced, the outside log learns every erasure known.
    known = erasurelog.merge(outside, replaced, in_backup)
    erasurelog.append(known)
    only = erasurelog.erasures
    say(
        f"Erasures known: {len(only(known))} ({len(only(in_backup))} in the backup, "
        f"{len(only(outside))} in {erasurelog.log_path()}, {len(only(replaced))} in the "
        f"database being replaced); cancelled RSVPs known: "
        f"{len(erasurelog.cancellations(known))}; unsubscribes known: "
        f"{len(erasurelog.unsubscribes(known))}; undeliverable addresses known: "
        f"{len(erasurelog.undeliverables(known))}"
    )
    database_file = backup / DATABASE_FILES[kind]
    if kind == "sqlite":
        done = _restore_sqlite(database_file, known)
    else:
        done = _restore_postgresql(database_file, known)
    erasurelog.export([*known, *withdrawal_records()])
    return Restored(
        database=kind,
        taken_at=str(manifest["taken_at"]),
        erasures_in_backup=len(only(in_backup)),
        erasures_in_log=len(only(outside)),
        erasures_in_replaced_database=len(only(replaced)),
        erasures_known=len(only(known)),
        signatures_removed=done.removed,
        mail_withheld=done.withheld,
        unsubscribes_known=len(erasurelog.unsubscribes(known)),
        unsubscribes_reapplied=done.unsubscribes,
        cancels_known=len(erasurelog.cancellations(known)),
        cancels_reapplied=done.cancels,
        undeliverable_known=len(erasurelog.undeliverables(known)),
        undeliverable_reapplied=done.undeliverable,
    )


def _erasures_of_current_database() -> list[erasurelog.Record]:
    """The erasures and other withdrawals the database being replaced knows of."""
    if database_kind() == "sqlite" and not _sqlite_path().exists():
        return []  # a new machine: nothing to replace (and nothing to create here)
    records: list[erasurelog.Record] = []
    try:
        for source in (
            erasurelog.database_records,
            cancellog.database_records,
            unsubscribelog.database_records,
            undeliverablelog.database_records,
        ):
            try:
                records.extend(source())
            except DatabaseError:
                # No database yet, or not migrated, or damaged: nothing to learn from it.
                connections.close_all()
    finally:
        connections.close_all()
    return records


def _sqlite_path() -> Path:
    return Path(connections["default"].settings_dict["NAME"])


def _refuse_if_sqlite_in_use() -> None:
    """Refuse while any other connection has the database open (the app still runs).

    Leaving WAL mode needs the database to itself: SQLite refuses while any
    other connection has it open, idle or not. Doing so also folds the WAL
    file into the database, which is about to be replaced anyway.
    """
    connections.close_all()
    target = _sqlite_path()
    if not target.exists():
        return
    try:
        with _sqlite(target, timeout=0) as probe:
            (mode,) = probe.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        mode = "busy"
    if mode != "delete":
        raise BackupError(
            f"{target} is open in another process: stop the web server, the signing "
            "writer and every worker first"
        )


def _restore_sqlite(source: Path, records: list[erasurelog.Record]) -> _Replayed:
    """Copy, migrate and replay beside the database, then swap it in with one rename.

    The database's own path never holds a copy whose erasures are not yet
    replayed, even if this process dies half-way.
    """
    target = _sqlite_path()
    private_dir(target.parent)
    staging = target.with_name(f".{target.name}.restore-{secrets.token_hex(4)}")
    with open(source, "rb") as original, os.fdopen(create_private(staging), "wb") as copy:
        shutil.copyfileobj(original, copy, 1 << 20)
        copy.flush()
        os.fsync(copy.fileno())
    connection = connections["default"]
    connection.close()
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(staging)
    try:
        result = _migrate_and_replay(records)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        Path(f"{staging}.write-lock").unlink(missing_ok=True)
    # Fold the staging copy's WAL into it, so that one rename moves everything.
    with _sqlite(staging) as fold:
        fold.execute("PRAGMA journal_mode=DELETE")
    for leftover in (f"{target}-wal", f"{target}-shm", f"{target}-journal"):
        Path(leftover).unlink(missing_ok=True)
    os.replace(staging, target)
    fsync_dir(target.parent)
    return result


def _restore_postgresql(dump: Path, records: list[erasurelog.Record]) -> _Replayed:
    pgtools.restore_dump(dump)
    try:
        return _migrate_and_replay(records)
    finally:
        connections.close_all()

"""The PostgreSQL side of backups: pg_dump and pg_restore, run without our keys.

The tools get the connection from the settings through ``PG*`` variables in a
minimal environment, so no key of the application reaches them.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from django.db import connections, transaction

from safepassage.lib.privatefiles import create_private

# What the PostgreSQL tools inherit from our environment: nothing of the keys.
_TOOL_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PGPASSFILE")
_PG_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
_DUMP_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+)(?: \S+)?$")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def tool_path(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parent.parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} is not installed: install postgresql-client (apt)")


def _environment() -> dict[str, str]:
    db = connections["default"].settings_dict
    env = {key: os.environ[key] for key in _TOOL_ENVIRONMENT if key in os.environ}
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    for option, variable in _PG_OPTIONS.items():
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _runtool_path(arguments: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(  # noqa: S603 (a fixed tool; arguments are ours, no shell)
        [tool_path(arguments[0]), "--no-password", *arguments[1:]],
        env=_environment(),
        stderr=subprocess.PIPE,
        check=False,
        **kwargs,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise BackupError(f"{arguments[0]} failed ({result.returncode}): {message}")
    return result


def dump(target: Path) -> None:
    """pg_dump of the configured database into a new 0600 file."""
    with os.fdopen(create_private(target), "wb") as handle:
        _runtool_path(["pg_dump", "--format=custom"], stdout=handle)
        handle.flush()
        os.fsync(handle.fileno())


# A process stopped a moment ago may still be listed while its server process exits
# (on a busy machine, for a while): restore waits this long for the others to go.
SETTLE_SECONDS = 3.0


def refuse_if_in_use() -> None:
    connections.close_all()
    deadline = time.monotonic() + SETTLE_SECONDS
    while (others := _other_clients()) and time.monotonic() < deadline:
        time.sleep(0.1)
    if others:
        listed = "; ".join(others)
        raise BackupError(
            f"{len(others)} other connections to the database ({listed}): stop the web "
            "server, the signing writer and every worker first"
        )


def _other_clients() -> list[str]:
    """The other clients of this database, each told by what an operator can look up.

    Never the text of their queries: it may hold a signer's address.
    """
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh figures, even in a transaction
        cursor.execute(
            "SELECT pid, application_name, client_addr, client_port, backend_start, state "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid"
        )
        rows = cursor.fetchall()
    return [
        f"server process {pid}"
        + (f" of {application!r}" if application else "")
        + (f" from {address}:{port}" if address else " over a local socket")
        + f", connected {started:%Y-%m-%d %H:%M:%S %Z}, {state or 'state unknown'}"
        for pid, application, address, port, started, state in rows
    ]


def restore_dump(dump: Path) -> None:
    """Replace the configured database's tables with those of a pg_dump archive."""
    listing = _runtool_path(["pg_restore", "--list", str(dump)], stdout=subprocess.PIPE)
    in_dump = {
        (match[1], match[2])
        for line in listing.stdout.decode().splitlines()
        if (match := _DUMP_TABLE.match(line))
    }
    # Tables of migrations newer than the backup are not in the dump: drop them,
    # or pg_restore cannot drop what they reference and migrate cannot create them.
    connection = connections["default"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname = ANY(current_schemas(false))"
        )
        for schema, table in cursor.fetchall():
            if (schema, table) not in in_dump:
                quote = connection.ops.quote_name
                cursor.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)} CASCADE")
    connections.close_all()
    _runtool_path(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(connection.settings_dict["NAME"]),
            str(dump),
        ],
        stdout=subprocess.DEVNULL,
    )

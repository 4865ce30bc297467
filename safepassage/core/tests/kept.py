"""Set-up kept from one run to the next: migrated databases and collected static files.

Applying every migration costs about 13 s of CPU, and collectstatic compresses
every file (gzip and Brotli), about as much again. Each pytest worker paid both
in each pass of the suite, and each benchmark in its fresh data directory, for
the same code. So one copy of each is kept, named by a key of what made it:

- a migrated SQLite database, ``var/kept/schemas/<key>.sqlite3``;
- a migrated PostgreSQL database, the template ``safepassage_kept_<key>`` on
  the server where it was made;
- the collected static files, ``var/kept/static/<key>/``.

The key of a schema is the application's code (its migrations, and whatever
answers migrate's signals) and the installed packages' versions; the key of
the static files adds ``static/``. Any change to them makes a new key, so a kept
copy is never stale; when a new one is kept, those of other keys are removed.

``python -m safepassage.core.tests.kept`` makes whatever is missing, the city
index of ``var/`` included, in parallel processes: scripts/test runs it while
the static checks run, so that the pytest workers start from copies.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[3]
KEPT = ROOT / "var" / "kept"
TEMPLATE_PREFIX = "safepassage_kept_"


def source_fingerprint(app_dir: Path, *more: str) -> str:
    """A short hash of the application's code and templates (tests excluded) and of ``more``."""
    digest = hashlib.sha256()
    files = [app_dir / "pyproject.toml"]
    folders = [(app_dir / "safepassage", "*.py"), (app_dir / "templates", "*")]
    folders += [(app_dir / name, "*") for name in more]
    for folder, pattern in folders:
        files += [path for path in folder.rglob(pattern) if path.is_file()]
    for path in sorted(files):
        relative = path.relative_to(app_dir)
        if "tests" in relative.parts or "__pycache__" in relative.parts:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _key(code: str) -> str:
    # The project's own code is in ``code``: whether its metadata is on sys.path depends
    # on how Python was started (pytest puts the checkout there), so it is left out.
    versions = sorted(
        {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()}
        - {f"safepassage=={metadata.version('safepassage')}"}
    )
    return hashlib.sha256("\n".join([code, *versions]).encode()).hexdigest()[:16]


def schema_key(app_dir: Path) -> str:
    """What a migrated database depends on: the code and the installed packages."""
    return _key(source_fingerprint(app_dir))


def static_key(app_dir: Path) -> str:
    """What the collected static files depend on: the same, and ``static/``."""
    return _key(source_fingerprint(app_dir, "static"))


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its write-ahead log included), private."""
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@contextlib.contextmanager
def _turn(kept: Path) -> Iterator[None]:
    """One process at a time copies or makes ``kept``: the others wait, then copy."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    with open(kept.parent / f"{kept.name.split('.')[0]}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def _keep_only(kept: Path) -> None:
    """Remove the finished copies of other keys beside ``kept``."""
    for other in kept.parent.iterdir():
        mine = other.name.split(".")[0] == kept.name.split(".")[0]
        if not mine and other.suffix not in (".part", ".lock"):  # another's work in progress
            if other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
            else:
                other.unlink(missing_ok=True)


def sqlite_schema(app_dir: Path, target: Path, migrate: Callable[[], object]) -> bool:
    """Give the new SQLite file ``target`` the schema of ``app_dir``: a copy of the kept
    one (True), or ``migrate()``, which makes it there, and keep a copy of that (False)."""
    kept = KEPT / "schemas" / f"{schema_key(app_dir)}.sqlite3"
    with _turn(kept):
        if kept.is_file():
            copy_sqlite(kept, target)
            return True
        migrate()
        part = kept.with_name(f"{kept.name}.{os.getpid()}.part")
        part.unlink(missing_ok=True)
        copy_sqlite(target, part)
        part.replace(kept)  # whole or not at all
        _keep_only(kept)
    return False


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A connection to the server's ``postgres`` database, for CREATE and DROP DATABASE."""
    admin = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    return psycopg.connect(admin, autocommit=True)


def postgres_schema(
    app_dir: Path, server_url: str, target: str, migrate: Callable[[], object]
) -> bool:
    """Give the PostgreSQL database ``target``, new or empty, the schema of ``app_dir``:
    made again as a copy of the kept template (True), or ``migrate()``, which must leave
    it migrated with no connection open, and keep it as the template (False)."""
    template = TEMPLATE_PREFIX + schema_key(app_dir)
    with _turn(KEPT / "postgres" / template):
        return _postgres_schema(server_url, template, target, migrate)


def _postgres_schema(
    server_url: str, template: str, target: str, migrate: Callable[[], object]
) -> bool:
    with _admin(server_url) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        if found:
            # FORCE: a pooler may already hold idle connections to the empty database.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
            )
            try:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(target), sql.Identifier(template)
                    )
                )
                return True
            except psycopg.Error:  # removed meanwhile by a run of other code
                pass
    migrate()
    part = f"{template}_{os.getpid()}"
    with _admin(server_url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(part)))
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(part), sql.Identifier(target)
            )
        )
        try:
            admin.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(part), sql.Identifier(template)
                )
            )
        except psycopg.errors.DuplicateDatabase:  # another process kept it first
            admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(part)))
        others = admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
            [TEMPLATE_PREFIX, template],
        ).fetchall()
        for (name,) in others:
            # A template of other code that a run is copying right now stays.
            with contextlib.suppress(psycopg.Error):
                admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(str(name))))
    return False


def collected(app_dir: Path, static_root: Path, collect: Callable[[], object]) -> bool:
    """Fill ``static_root`` (replacing what it held) with a copy of the kept static files
    (True), or ``collect()`` (collectstatic) into it and keep a copy (False)."""
    kept = KEPT / "static" / static_key(app_dir)
    with _turn(kept):
        if kept.is_dir():
            shutil.rmtree(static_root, ignore_errors=True)
            shutil.copytree(kept, static_root)
            return True
        collect()
        part = kept.with_name(f"{kept.name}.{os.getpid()}.part")
        shutil.rmtree(part, ignore_errors=True)
        shutil.copytree(static_root, part)
        part.rename(kept)  # whole or not at all
        _keep_only(kept)
    return False


# --- Making them ahead (scripts/test) ------------------------------------------------


def _manage(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env)


def _run(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="also a template on this server")
    args = parser.parse_args()
    base = os.environ | {"DJANGO_SETTINGS_MODULE": "safepassage.core.tests.settings"}
    scratch = Path(tempfile.mkdtemp(prefix="kept-", dir=ROOT / "var"))
    jobs: list[Callable[[], object]] = []
    try:
        # The city index of var/, which the benchmarks and the pytest workers copy.
        index = _manage(base | {"SAFEPASSAGE_DATA_DIR": str(ROOT / "var")}, "build_gazetteer")
        sqlite_file = scratch / "schema.sqlite3"
        sqlite_env = base | {"DATABASE_URL": f"sqlite:///{sqlite_file}"}
        jobs.append(
            lambda: sqlite_schema(ROOT, sqlite_file, lambda: _run(sqlite_env, "migrate", "-v", "0"))
        )
        if args.postgres:
            name = f"safepassage_kept_making_{os.getpid()}"
            pg_url = urllib.parse.urlsplit(args.postgres)._replace(path=f"/{name}").geturl()

            def make_postgres() -> None:
                with _admin(args.postgres) as admin:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                _run(base | {"DATABASE_URL": pg_url}, "migrate", "-v", "0")

            def postgres() -> None:
                postgres_schema(ROOT, args.postgres, name, make_postgres)
                with _admin(args.postgres) as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
                    )

            jobs.append(postgres)
        static_env = base | {"SAFEPASSAGE_DATA_DIR": str(scratch)}
        jobs.append(
            lambda: collected(
                ROOT,
                scratch / "static",
                lambda: _run(static_env, "collectstatic", "--noinput", "-v", "0"),
            )
        )
        # Each job waits on its own process: threads are enough to run them side by side.
        with ThreadPoolExecutor(len(jobs)) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()
        return index.wait()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

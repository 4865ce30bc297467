"""Processes and environment of bench/signing: the database, the application, the machine.

Sets up a fresh deployment as production runs it (a copy of the code, a new
SQLite file or PostgreSQL database, gunicorn and the mail worker), reads the
CPU time of processes from /proc, and tears everything down again.
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procstat import children, tree_cpu

from safepassage.core.tests import kept

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
HOST = "127.0.0.1"
PG_DATABASE = "safepassage_bench"
COLLECTSTATIC = ("collectstatic", "--noinput", "-v", "0")


class BenchError(RuntimeError):
    """The benchmark could not run as intended (not a performance result)."""


def say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- databases


class Database:
    """Where the application's data lives during one benchmark: a fresh SQLite file or PG db."""

    def __init__(self, kind: str, data_dir: Path, pg_admin_url: str) -> None:
        self.kind = kind
        self.data_dir = data_dir
        self.pg_admin_url = pg_admin_url
        self.sqlite_path = data_dir / "bench.sqlite3"
        self.postmaster_pid: int | None = None

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        admin = urllib.parse.urlsplit(self.pg_admin_url)
        return urllib.parse.urlunsplit(admin._replace(path=f"/{PG_DATABASE}"))

    def create(self) -> None:
        if self.kind != "postgres":
            return
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
            row = conn.execute("SHOW data_directory").fetchone()
        if row:
            pid_file = Path(str(row[0])) / "postmaster.pid"
            try:
                self.postmaster_pid = int(pid_file.read_text().split("\n", 1)[0])
            except (OSError, ValueError):
                say(f"  (cannot read {pid_file}: PostgreSQL CPU time will not be reported)")

    def drop(self) -> None:
        if self.kind != "postgres":
            return
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a read-only query on a connection of its own, closed straight after."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return list(conn.execute(sql).fetchall())
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as pg:
            return list(pg.execute(sql.encode()).fetchall())

    def signature_rows(self) -> int:
        return int(self.query("SELECT count(*) FROM signatures_signature")[0][0])

    def mail_backlog(self) -> int:
        sql = "SELECT count(*) FROM outbox_message WHERE status IN ('queued', 'sending', 'retry')"
        return int(self.query(sql)[0][0])

    def settings_note(self) -> str:
        if self.kind == "sqlite":
            return "SQLite (WAL, synchronous=FULL, as in settings.py)"
        rows = self.query(
            "SELECT name, setting FROM pg_settings WHERE name IN"
            " ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers')"
        )
        return "PostgreSQL " + ", ".join(f"{name}={value}" for name, value in sorted(rows))


# --------------------------------------------------------------------------- the application


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def production_env(data_dir: Path, port: int, database_url: str) -> dict[str, str]:
    """The environment of a production deployment, with throwaway secrets.

    Throttles are raised so that every submission is stored as a normal one
    (the load all comes from one address), and mail goes to Django's
    in-memory backend: the worker does all its work except the SMTP dialogue.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SAFEPASSAGE_", "DJANGO_", "EMAIL_", "THROTTLE_"))
        and key
        not in {"DATABASE_URL", "REDIS_URL", "SITE_URL", "ALLOWED_HOSTS", "GUNICORN_CMD_ARGS"}
        and not key.endswith("_FILE")
    }
    env.update(
        {
            "SAFEPASSAGE_DEBUG": "0",
            "SAFEPASSAGE_DEMO": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SIGNER_HASH_KEY": secrets.token_urlsafe(48),
            "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"http://{HOST}:{port}",
            "THROTTLE_PER_IP": "100000000",
            "THROTTLE_PER_PETITION": "100000000",
            "THROTTLE_PER_NETWORK": "100000000",
            "THROTTLE_PER_DOMAIN": "100000000",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def with_city_index(app_dir: Path, env: dict[str, str]) -> None:
    """Give a fresh data directory the city index of the project's var/, built there once.

    A deployment builds its own (``manage.py build_gazetteer``) once; a
    benchmark that loads the demo or routes signers would build it again in
    each fresh data directory, about 12 s of set-up that no figure includes.
    It is the same file either way (the same code and data make it).
    """
    shared = ROOT / "var"
    built = manage(app_dir, env | {"SAFEPASSAGE_DATA_DIR": str(shared)}, "build_gazetteer")
    index = Path(built.strip().splitlines()[-1].split(": ", 1)[1])
    shutil.copy2(index, Path(env["SAFEPASSAGE_DATA_DIR"]) / index.name)


def migrated(app_dir: Path, database_url: str, migrate: Callable[[], object]) -> None:
    """Give a new database the schema of ``app_dir``'s migrations: ``migrate()`` it, or,
    on SQLite, copy the database migrated before from the same code and packages
    (``safepassage/core/tests/kept.py``, which the test suite shares).

    Applying the project's migrations costs about 13 s of CPU, more than some
    benchmarks' own measurement. An in-process caller migrates before its first
    query, so nothing has the file open when the copy is put in place.
    """
    target = Path(database_url.removeprefix("sqlite:///"))
    if not database_url.startswith("sqlite:///") or target.exists():
        migrate()
        return
    kept.sqlite_schema(app_dir, target, migrate)


def collected(app_dir: Path, static_root: Path, collect: Callable[[], object]) -> None:
    """Fill a new ``static_root``: ``collect()`` (collectstatic), or copy the files
    collected before from the same code, static files and packages (kept.py)."""
    kept.collected(app_dir, static_root, collect)


def manage(app_dir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class Application:
    """The running gunicorn server and mail worker of one benchmark."""

    port: int
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    command: list[str]
    log_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def worker_pids(self) -> list[int]:
        return children(self.server.pid)

    def server_cpu(self) -> float:
        return tree_cpu(self.server.pid)

    def tail_logs(self, lines: int = 30) -> str:
        text = []
        for name in ("server.log", "worker.log"):
            content = (self.log_dir / name).read_text(errors="replace").splitlines()
            text += [f"--- {name} (last {lines} lines)", *content[-lines:]]
        return "\n".join(text)


@contextmanager
def running_application(
    app_dir: Path, env: dict[str, str], port: int, workers: int, threads: int, log_dir: Path
) -> Iterator[Application]:
    """Start gunicorn and the worker as production would; always stop both."""
    server_log = open(log_dir / "server.log", "w")  # noqa: SIM115 (closed in finally)
    worker_log = open(log_dir / "worker.log", "w")  # noqa: SIM115
    gunicorn = [str(VENV_BIN / "gunicorn"), "-c", "python:safepassage.gunicorn_conf"]
    gunicorn += ["safepassage.wsgi:application"]
    gunicorn += ["--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads)]
    gunicorn += ["--bind", f"{HOST}:{port}"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # New sessions: a Ctrl-C in the terminal reaches only this script, which then
        # stops the server and worker in order instead of leaving them half-killed.
        server = subprocess.Popen(
            gunicorn, cwd=app_dir, env=env, stdout=server_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        processes.append(server)
        worker = subprocess.Popen(
            [str(PYTHON), "manage.py", "worker"], cwd=app_dir, env=env, stdout=worker_log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        processes.append(worker)
        app = Application(port, server, worker, ["gunicorn", *gunicorn[1:]], log_dir)
        wait_http(f"{app.base_url}/healthz", server, timeout=60)
        yield app
    finally:
        stop_processes(processes)
        server_log.close()
        worker_log.close()


def stop_processes(processes: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """SIGTERM (gunicorn then finishes its requests), then SIGKILL whatever is left."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"  process {process.pid} did not stop in {timeout:.0f} s: killing it")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with status {process.returncode}")
        conn = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=2)
        try:
            conn.request("GET", parts.path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer within {timeout:.0f} s")


def wait_server_idle(app: Application, timeout: float = 60.0) -> float:
    """Wait until the gunicorn workers use (almost) no CPU; return the seconds waited.

    Rows are counted only once the server has finished with every request it
    accepted, so that a slow commit is not mistaken for a lost signature.
    """
    started = time.monotonic()
    previous = app.server_cpu()
    quiet = 0
    while time.monotonic() - started < timeout and quiet < 3:
        time.sleep(0.3)
        current = app.server_cpu()
        quiet = quiet + 1 if current - previous < 0.01 else 0
        previous = current
    return time.monotonic() - started


def wait_mail_drained(database: Database, timeout: float) -> float | None:
    """Seconds until the worker has no mail left to send, or None after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if database.mail_backlog() == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


# --------------------------------------------------------------------------- code and machine


# What the application needs to run, copied from the working tree into each benchmark.
APPLICATION_PARTS = ("manage.py", "pyproject.toml", "safepassage", "templates", "static", "locale")


def snapshot_application(target: Path) -> Path:
    """Copy the application into ``target`` and return the copy's directory.

    The server, the worker and the management commands all run from this
    copy (the current directory comes first on their import path), so one
    benchmark measures one state of the code even while the working tree is
    being edited, and the fingerprint below names that state.
    """
    app_dir = target / "app"
    app_dir.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in APPLICATION_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, app_dir / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, app_dir / name)
    return app_dir


def machine_note() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}); load average before the run: {load}"

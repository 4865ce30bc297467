"""Benchmark of the signing path as it runs in production (run it as ``bench/signing``).

Why it is built this way:

* The application is started exactly as docs and README tell an operator to:
  ``manage.py migrate``/``collectstatic``/``load_demo``, gunicorn with gthread
  workers, one ``manage.py worker``, DEBUG off, real secrets, a real database
  file or server. Numbers from ``runserver`` or the test client would measure
  something nobody deploys.
* Every submission carries a fresh e-mail address, so each one is a new
  signature that goes through validation, hashing, encryption, the group
  commit and the outbox, never the cheaper "signed again" branch.
* Throughput comes from wrk (closed loop, several concurrency levels); latency
  at a realistic arrival rate comes from a fixed-rate client that measures
  from each request's scheduled start (see bench/fixed_rate.py).
* After every run the number of ``Signature`` rows must equal the number of
  302 answers: an acknowledged signature that is missing, or a row nobody was
  told about, is a correctness failure, not a performance figure.
* The machine has two cores shared by the server, the mail worker, the
  database and the load generator, so the CPU time of each is reported,
  together with that of everything else on the machine.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http.client
import http.cookies
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fixed_rate

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA_SCRIPT = BENCH / "signing.lua"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
HOST = "127.0.0.1"
PG_DATABASE = "safepassage_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The targets the figures are compared with (see docs/performance.md).
TARGET_RATE = 1000.0
TARGET_FLOOR_FRACTION = 0.25
TARGET_P99_MS = 100.0


class BenchError(RuntimeError):
    """The benchmark could not run as intended (not a performance result)."""


def say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- CPU accounting


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


def process_cpu(pid: int, with_reaped_children: bool = False) -> float:
    """CPU seconds (user + system, all threads) of a live process, 0 if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process, its reaped children and its live children."""
    if pid is None:
        return 0.0
    return process_cpu(pid, with_reaped_children=True) + sum(
        process_cpu(child) for child in children(pid)
    )


def machine_busy_cpu() -> float:
    """CPU seconds all cores have spent not idle since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class CpuShare:
    """CPU time (in cores, i.e. CPU seconds per wall second) of each component during a run."""

    server: float = 0.0
    worker: float = 0.0
    database: float = 0.0
    loadgen: float = 0.0
    other: float = 0.0


# --------------------------------------------------------------------------- results


@dataclass
class LoadRun:
    """One run of load against the server, by wrk or by the fixed-rate client."""

    label: str
    tool: str
    connections: int
    seconds: float
    expected_status: int
    sent: int = 0
    answered: int = 0
    acknowledged: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    failed: int = 0
    active_seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    cpu: CpuShare = field(default_factory=CpuShare)
    loadgen_cpu_seconds: float = 0.0
    rows_check: str = ""
    mail_backlog: int = 0
    mail_drain_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.acknowledged / self.active_seconds if self.active_seconds else 0.0

    @property
    def unanswered(self) -> int:
        """Requests sent that got neither an answer nor a socket error of their own."""
        return max(0, self.sent - self.answered - self.failed)

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values()) + self.socket_errors + self.unanswered


@dataclass
class DatabaseReport:
    database: str
    runs: list[LoadRun] = field(default_factory=list)
    floor: LoadRun | None = None
    fixed: LoadRun | None = None
    integrity_ok: bool = True
    rows: int = 0
    acknowledged: int = 0

    @property
    def signing_runs(self) -> list[LoadRun]:
        return [run for run in self.runs if run.tool == "wrk"]

    @property
    def best(self) -> LoadRun | None:
        return max(self.signing_runs, key=lambda run: run.rate, default=None)


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
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


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
    gunicorn = [str(VENV_BIN / "gunicorn"), "safepassage.wsgi:application"]
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


# --------------------------------------------------------------------------- HTTP helpers


@dataclass
class SigningForm:
    """What a browser has after loading the signing page: the path and the CSRF pair."""

    path: str
    cookie: str
    field: str

    def body(self, email: str) -> bytes:
        fields = {
            "csrfmiddlewaretoken": self.field,
            "first_name": "Ji-woo",
            "last_name": "Kim",
            "email": email,
            "city": "Seoul",
            "country": "KR",
            "region": "KR-11",
            "contact": "count",
            "publish_name": "yes",
        }
        return urllib.parse.urlencode(fields).encode()

    def request(self, port: int, email: str) -> bytes:
        """A complete HTTP/1.1 POST of the form, for clients that write raw bytes."""
        body = self.body(email)
        head = (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Cookie: csrftoken={self.cookie}\r\n"
            "\r\n"
        )
        return head.encode() + body


def load_signing_form(port: int, path: str) -> SigningForm:
    """GET the signing page once, as a browser would, for the CSRF cookie and field.

    Django accepts the same cookie/field pair for any number of POSTs, so
    every load client reuses it.
    """
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        html = response.read().decode()
        cookies = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    finally:
        conn.close()
    if response.status != 200 or "csrftoken" not in cookies:
        raise BenchError(f"GET {path} answered {response.status} without a csrftoken cookie")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise BenchError(f"GET {path}: no csrfmiddlewaretoken field in the page")
    return SigningForm(path=path, cookie=cookies["csrftoken"].value, field=match.group(1))


def sign_once(port: int, form: SigningForm, email: str) -> int:
    """One POST through http.client: fails fast with a clear message before any load."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            "POST",
            form.path,
            body=form.body(email),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={form.cookie}",
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --------------------------------------------------------------------------- load generators


def ensure_wrk() -> str:
    """Find wrk, installing Debian's package (which has LuaJIT scripting) if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: installing Debian's package (apt-get install wrk)")
    apt = ["apt-get", "-y", "-q", "install", "wrk"]
    for command in (apt, ["apt-get", "-q", "update"], apt):
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if command is apt and result.returncode == 0:
            break
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is not installed and apt-get could not install it")
    return found


class CpuMeter:
    """Measures the CPU share of every component between start() and stop()."""

    def __init__(self, app: Application, database: Database) -> None:
        self.app = app
        self.database = database

    def _components(self) -> tuple[float, float, float]:
        return (
            self.app.server_cpu(),
            process_cpu(self.app.worker.pid, with_reaped_children=True),
            tree_cpu(self.database.postmaster_pid),
        )

    def start(self) -> None:
        self.started = time.monotonic()
        self.machine = machine_busy_cpu()
        self.parts = self._components()

    def stop(self, loadgen_seconds: float) -> CpuShare:
        wall = time.monotonic() - self.started
        server, worker, database = (
            after - before for after, before in zip(self._components(), self.parts, strict=True)
        )
        machine = machine_busy_cpu() - self.machine
        other = machine - server - worker - database - loadgen_seconds
        return CpuShare(
            server=server / wall,
            worker=worker / wall,
            database=database / wall,
            loadgen=loadgen_seconds / wall,
            other=max(0.0, other) / wall,
        )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def socket_errors(data: dict[str, Any], connections: int) -> int:
    """wrk's socket errors, less the keep-alive closes of connections parked after the run.

    Each parking beyond the first of every connection follows one such close
    (see signing.lua). A connection whose last request was never answered did
    not park, so the discount is then smaller and the result errs high.
    """
    raw = sum(data[key] for key in ("connect_errors", "read_errors", "write_errors"))
    return max(0, int(raw) - max(0, int(data["parks"]) - connections)) + int(data["timeout_errors"])


def run_wrk(
    wrk: str,
    app: Application,
    meter: CpuMeter,
    label: str,
    mode: str,
    path: str,
    form: SigningForm,
    connections: int,
    threads: int,
    seconds: int,
    grace: int,
) -> LoadRun:
    """Run wrk with bench/signing.lua and return its counts, latencies and CPU shares.

    wrk runs ``grace`` seconds longer than it sends, so that the answers to
    requests in flight at the end arrive (see signing.lua). CPU shares are
    taken over the sending window only, wrk's own from /proc/<pid>/stat; its
    total CPU time is the RUSAGE_CHILDREN difference around it (the server
    and worker are also children of this script, but reaped only at the end).
    """
    run_id = f"{label}-{secrets.token_hex(3)}"
    command = [wrk, "-t", str(min(threads, connections)), "-c", str(connections)]
    command += ["-d", f"{seconds + grace}s", "--timeout", "30s", "--latency", "-s"]
    command += [str(LUA_SCRIPT), app.base_url + path, "--", mode, path, form.cookie, form.field]
    command += [run_id]
    command += [str(seconds)]
    before = children_cpu()
    meter.start()
    wrk_process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # CPU shares cover the sending window only, not the idle grace period.
        time.sleep(seconds)
        cpu = meter.stop(process_cpu(wrk_process.pid))
        stdout, stderr = wrk_process.communicate(timeout=grace + 60)
    finally:
        if wrk_process.poll() is None:
            wrk_process.kill()
            wrk_process.wait(timeout=10)
    wrk_cpu = children_cpu() - before
    if wrk_process.returncode != 0:
        raise BenchError(f"wrk failed ({wrk_process.returncode}):\n{stdout}{stderr}")
    result_line = next(
        (line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")), None
    )
    if result_line is None:
        raise BenchError(f"wrk printed no BENCH-RESULT line:\n{stdout}{stderr}")
    for line in stdout.splitlines():
        if not line.startswith("BENCH-RESULT "):
            say(f"    wrk | {line}")
    data = json.loads(result_line.removeprefix("BENCH-RESULT "))
    return LoadRun(
        label=label,
        tool="wrk" if mode == "sign" else "wrk-get",
        connections=connections,
        seconds=seconds,
        expected_status=302 if mode == "sign" else 200,
        sent=data["sent"],
        answered=data["answered"],
        acknowledged=data["acknowledged"],
        unexpected=data["unexpected"],
        socket_errors=socket_errors(data, connections),
        active_seconds=data["active_seconds"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        cpu=cpu,
        loadgen_cpu_seconds=wrk_cpu,
    )


def run_fixed_rate(
    app: Application,
    meter: CpuMeter,
    form: SigningForm,
    rate: float,
    seconds: float,
    connections: int,
) -> LoadRun:
    run_id = secrets.token_hex(3)

    def make_request(index: int) -> bytes:
        return form.request(app.port, f"fixed-{run_id}-{index}@example.org")

    meter.start()
    result = fixed_rate.run(HOST, app.port, make_request, rate, seconds, connections, timeout=60)
    cpu = meter.stop(result.cpu_seconds)
    answered = sum(result.statuses.values())
    return LoadRun(
        label=f"fixed {rate:.0f}/s",
        tool="fixed-rate",
        connections=connections,
        seconds=seconds,
        expected_status=302,
        sent=result.scheduled,
        answered=answered,
        acknowledged=result.count(302),
        unexpected={str(k): v for k, v in result.statuses.items() if k != 302},
        socket_errors=sum(result.errors.values()),
        failed=sum(result.errors.values()),
        active_seconds=result.wall_seconds,
        p50_ms=result.percentile(0.50) * 1000,
        p99_ms=result.percentile(0.99) * 1000,
        max_ms=max(result.latencies, default=float("nan")) * 1000,
        cpu=cpu,
        loadgen_cpu_seconds=result.cpu_seconds,
    )


# --------------------------------------------------------------------------- one database


@dataclass
class Options:
    databases: list[str]
    workers: int
    threads: int
    connections: list[int]
    wrk_threads: int
    seconds: int
    grace: int
    warmup: int
    fixed_rate: float
    fixed_seconds: float
    fixed_connections: int
    drain_timeout: float
    pg_admin_url: str
    keep: bool
    py_spy_dir: Path | None


class Ledger:
    """Keeps the running total of acknowledged submissions and checks it against the rows."""

    def __init__(self, database: Database, report: DatabaseReport) -> None:
        self.database = database
        self.report = report
        self.acknowledged = 0

    def check(self, app: Application, run: LoadRun | None, acknowledged: int) -> str:
        self.acknowledged += acknowledged
        waited = wait_server_idle(app)
        rows = self.database.signature_rows()
        self.report.rows, self.report.acknowledged = rows, self.acknowledged
        unanswered = run.unanswered if run else 0
        if rows == self.acknowledged:
            verdict = f"rows {rows} == acknowledged {self.acknowledged}: OK"
        else:
            self.report.integrity_ok = False
            verdict = (
                f"!!!!! MISMATCH: rows {rows} != acknowledged {self.acknowledged}"
                f" (difference {rows - self.acknowledged:+d}"
                f"{f'; {unanswered} requests were never answered' if unanswered else ''}) !!!!!"
            )
        say(f"  [{verdict}] (server idle after {waited:.1f} s)")
        if run is not None:
            run.rows_check = "OK" if rows == self.acknowledged else "MISMATCH"
        return verdict


@dataclass
class Profilers:
    """py-spy recorders attached to the server's workers and the mail worker for one run."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    server_files: list[Path] = field(default_factory=list)
    worker_files: list[Path] = field(default_factory=list)


def start_profilers(options: Options, app: Application, name: str) -> Profilers:
    """Optionally sample the server and the mail worker with py-spy during one run.

    gunicorn workers are sampled with ``--gil``: only the thread holding the
    GIL, i.e. where their CPU goes, not the 30-odd threads waiting for it. The
    single-threaded mail worker is sampled on the wall clock, waits included.
    """
    profilers = Profilers()
    if options.py_spy_dir is None:
        return profilers
    py_spy = shutil.which("py-spy") or str(VENV_BIN / "py-spy")
    if not Path(py_spy).exists():
        raise BenchError("--py-spy needs py-spy: .venv/bin/pip install py-spy")
    options.py_spy_dir.mkdir(parents=True, exist_ok=True)
    targets = [(pid, True) for pid in app.worker_pids()] + [(app.worker.pid, False)]
    for pid, gil in targets:
        output = options.py_spy_dir / f"{name}-{'server' if gil else 'mailworker'}-{pid}.txt"
        (profilers.server_files if gil else profilers.worker_files).append(output)
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(options.seconds)]
        command += ["--rate", "50", "--format", "raw", "--nonblocking", "--output", str(output)]
        command += ["--gil"] if gil else []
        profilers.processes.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return profilers


def finish_profilers(profilers: Profilers) -> None:
    for profiler in profilers.processes:
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait(timeout=10)
    for title, files in (
        ("server, CPU (GIL held)", profilers.server_files),
        ("mail worker, wall clock", profilers.worker_files),
    ):
        if files:
            say(f"  py-spy, {title}: {', '.join(str(path) for path in files)}")
            for line in summarize_profile(files):
                say(f"    {line}")


def summarize_profile(paths: list[Path], top: int = 8) -> list[str]:
    """The busiest frames by own samples, and the application's functions including callees.

    py-spy's raw format is one folded stack per line, frames separated by
    ";", followed by a sample count.
    """
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            total += int(count)
            frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
            own[frames[-1]] += int(count)
            for frame in set(frames):
                if "safepassage/" in frame and "management/commands" not in frame:
                    inclusive[frame] += int(count)
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; own time:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in own.most_common(top)]
    lines += ["application functions, with what they call:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in inclusive.most_common(top)]
    return lines


def after_run(
    app: Application, database: Database, ledger: Ledger, run: LoadRun, options: Options
) -> None:
    """Check the rows, then let the worker send the mail backlog before the next run."""
    ledger.check(app, run, run.acknowledged if run.expected_status == 302 else 0)
    run.mail_backlog = database.mail_backlog()
    if run.expected_status == 302 and run.mail_backlog:
        run.mail_drain_seconds = wait_mail_drained(database, options.drain_timeout)
        drained = (
            f"sent in {run.mail_drain_seconds:.1f} s more"
            if run.mail_drain_seconds is not None
            else f"NOT sent within {options.drain_timeout:.0f} s"
        )
        say(f"  mail still queued when the run ended: {run.mail_backlog}, {drained}")


def describe(run: LoadRun) -> str:
    what = "submissions/s" if run.expected_status == 302 else "requests/s"
    return (
        f"  => {run.rate:,.0f} {what}, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms,"
        f" max {run.max_ms:.1f} ms; non-{run.expected_status}: {sum(run.unexpected.values())}"
        f"{f' {run.unexpected}' if run.unexpected else ''}, socket errors: {run.socket_errors},"
        f" unanswered: {run.unanswered}\n"
        f"     CPU (cores): server {run.cpu.server:.2f}, worker {run.cpu.worker:.2f},"
        f" database {run.cpu.database:.2f}, load generator {run.cpu.loadgen:.2f},"
        f" other processes {run.cpu.other:.2f}"
    )


def bench_database(
    kind: str, options: Options, wrk: str, app_dir: Path, work_dir: Path
) -> DatabaseReport:
    """Set up a fresh deployment on one database, run every measurement, tear it down."""
    report = DatabaseReport(database=kind)
    data_dir = work_dir / kind
    data_dir.mkdir()
    database = Database(kind, data_dir, options.pg_admin_url)
    port = free_port()
    env = production_env(data_dir, port, database.url)
    say(f"\n=== {kind}: data in {data_dir}, server on {HOST}:{port}")
    try:
        database.create()
        manage(app_dir, env, "migrate", "--noinput", "-v", "0")
        manage(app_dir, env, "collectstatic", "--noinput", "-v", "0")
        demo = manage(app_dir, env, "load_demo").strip()
        say(f"  {demo}")
        match = re.search(r"https?://[^/\s]+(/\S*)", demo)
        if not match:
            raise BenchError(f"cannot find the petition URL in load_demo's output: {demo!r}")
        path = match.group(1)
        say(f"  {database.settings_note()}")
        with running_application(
            app_dir, env, port, options.workers, options.threads, data_dir
        ) as app:
            say(f"  started: {' '.join(app.command)}")
            say(f"  workers: pids {app.worker_pids()}; mail worker pid {app.worker.pid}")
            try:
                measure(app, database, report, path, options, wrk)
            except Exception:  # not on Ctrl-C: the logs would only be noise
                say(app.tail_logs())
                raise
    finally:
        database.drop()
    return report


def measure(
    app: Application,
    database: Database,
    report: DatabaseReport,
    path: str,
    options: Options,
    wrk: str,
) -> None:
    ledger = Ledger(database, report)
    meter = CpuMeter(app, database)
    form = load_signing_form(app.port, path)
    status = sign_once(app.port, form, f"sanity-{secrets.token_hex(4)}@example.org")
    if status != 302:
        raise BenchError(f"a valid signing POST answered {status}, not 302: see the logs")
    ledger.check(app, None, 1)

    def wrk_run(label: str, mode: str, target: str, connections: int, seconds: int) -> LoadRun:
        return run_wrk(
            wrk, app, meter, label, mode, target, form, connections,
            options.wrk_threads, seconds, options.grace,
        )  # fmt: skip

    if options.warmup:
        say(f"\n  warm-up: {options.warmup} s at 16 connections (not reported)")
        warm = wrk_run("warmup", "sign", path, 16, options.warmup)
        after_run(app, database, ledger, warm, options)

    for connections in options.connections:
        say(f"\n  signing: wrk, {connections} connections, {options.seconds} s")
        profilers = start_profilers(options, app, f"{database.kind}-c{connections}")
        run = wrk_run(f"c{connections}", "sign", path, connections, options.seconds)
        finish_profilers(profilers)
        say(describe(run))
        report.runs.append(run)
        after_run(app, database, ledger, run, options)

    say(
        f"\n  signing at a fixed {options.fixed_rate:.0f}/s for {options.fixed_seconds:.0f} s"
        f" ({options.fixed_connections} keep-alive connections, latency from scheduled start)"
    )
    fixed = run_fixed_rate(
        app, meter, form, options.fixed_rate, options.fixed_seconds, options.fixed_connections
    )
    say(describe(fixed))
    report.fixed = fixed
    after_run(app, database, ledger, fixed, options)

    best = report.best
    connections = best.connections if best else options.connections[0]
    say(f"\n  floor: wrk GET /healthz, {connections} connections, {options.seconds} s")
    floor = wrk_run("healthz", "get", "/healthz", connections, options.seconds)
    say(describe(floor))
    report.floor = floor
    after_run(app, database, ledger, floor, options)


# --------------------------------------------------------------------------- report


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def target_lines(report: DatabaseReport) -> list[tuple[str, str, str]]:
    """(target, figure, met/MISSED) for one database."""
    lines = []
    best = report.best
    if best is not None:
        lines.append(
            (
                f">= {TARGET_RATE:,.0f} signatures/s sustained",
                f"best {best.rate:,.0f}/s at {best.connections} connections",
                verdict(best.rate >= TARGET_RATE),
            )
        )
        if report.floor is not None and report.floor.rate:
            fraction = best.rate / report.floor.rate
            lines.append(
                (
                    ">= 1/4 of the trivial view's rate",
                    f"{fraction:.2f} of {report.floor.rate:,.0f} req/s (/healthz)",
                    verdict(fraction >= TARGET_FLOOR_FRACTION),
                )
            )
    if report.fixed is not None:
        lines.append(
            (
                f"p99 < {TARGET_P99_MS:.0f} ms at {report.fixed.label.split()[1]}",
                f"p99 {report.fixed.p99_ms:.1f} ms (achieved {report.fixed.rate:,.0f}/s)",
                verdict(report.fixed.p99_ms < TARGET_P99_MS),
            )
        )
    runs = [*report.runs, *([report.fixed] if report.fixed else [])]
    errors = sum(run.errors for run in runs) + (report.floor.errors if report.floor else 0)
    lines.append(("zero errors", f"{errors} errors", verdict(errors == 0)))
    lines.append(
        (
            "zero lost/duplicated rows",
            f"rows {report.rows} vs acknowledged {report.acknowledged}",
            verdict(report.integrity_ok),
        )
    )
    return lines


TABLE_HEADER = (
    "db",
    "run",
    "conns",
    "rate/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "non-OK",
    "sock err",
    "CPU server",
    "worker",
    "db",
    "loadgen",
    "other",
    "rows",
)


def table_rows(reports: list[DatabaseReport]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for report in reports:
        runs = [*report.runs, *(r for r in (report.fixed, report.floor) if r is not None)]
        for run in runs:
            name = {"wrk": "sign (wrk)", "wrk-get": "/healthz (wrk)"}.get(run.tool, run.label)
            rows.append(
                (
                    report.database,
                    name,
                    str(run.connections),
                    f"{run.rate:,.0f}",
                    f"{run.p50_ms:.1f}",
                    f"{run.p99_ms:.1f}",
                    f"{run.max_ms:.0f}",
                    str(sum(run.unexpected.values()) + run.unanswered),
                    str(run.socket_errors),
                    f"{run.cpu.server:.2f}",
                    f"{run.cpu.worker:.2f}",
                    f"{run.cpu.database:.2f}",
                    f"{run.cpu.loadgen:.2f}",
                    f"{run.cpu.other:.2f}",
                    run.rows_check,
                )
            )
    return rows


def print_summary(reports: list[DatabaseReport]) -> None:
    rows = [TABLE_HEADER, *table_rows(reports)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
    say("\n=== Results (rate: 302 answers/s for signing, 200 answers/s for /healthz;")
    say("    CPU in cores, i.e. CPU seconds per second of the run, out of 2)")
    for row in rows:
        say("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    for report in reports:
        say(f"\n=== Targets, {report.database}")
        for target, figure, met in target_lines(report):
            say(f"  {target:<40} {figure:<48} {met}")


def write_markdown(
    path: Path, reports: list[DatabaseReport], command: str, source_note: str
) -> None:
    """The same figures as Markdown tables, for docs/performance.md."""
    out = [f"Command: `{command}` ({source_note})", ""]
    out += ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(reports)]
    for report in reports:
        out += ["", f"Targets, {report.database}:", "", "| target | figure | |", "|---|---|---|"]
        out += [f"| {t} | {f} | {m} |" for t, f, m in target_lines(report)]
    path.write_text("\n".join(out) + "\n")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> tuple[Options, Path | None]:
    parser = argparse.ArgumentParser(
        prog="bench/signing",
        description="Measure the signing path as it runs in production (gunicorn + worker).",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn --workers")
    parser.add_argument("--threads", type=int, default=32, help="gunicorn --threads")
    parser.add_argument(
        "--connections",
        default="16,64,128",
        help="wrk concurrency levels, comma-separated (default: 16,64,128)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument(
        "--grace", type=int, default=5, help="seconds wrk waits for answers after sending stops"
    )
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds (0: none)")
    parser.add_argument("--fixed-rate", type=float, default=500.0, help="submissions/s")
    parser.add_argument("--fixed-seconds", type=float, default=10.0)
    parser.add_argument("--fixed-connections", type=int, default=64)
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=180.0,
        help="longest wait for the worker to send queued mail between runs",
    )
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"where to create (and drop) the {PG_DATABASE} database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--py-spy", type=Path, default=None, metavar="DIR",
        help="profile the server (--gil) and the mail worker with py-spy during signing runs,"
        " keep the raw folded stacks in DIR and print a summary (.venv/bin/pip install py-spy)",
    )  # fmt: skip
    parser.add_argument("--markdown", type=Path, default=None, help="also write tables here")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.connections.split(",") if level.strip()]
    if not levels or min(levels) < 1:
        parser.error("--connections needs at least one positive number")
    if args.seconds < 1 or args.grace < 1 or args.fixed_rate <= 0:
        parser.error("--seconds and --grace must be >= 1 and --fixed-rate > 0")
    return Options(
        databases=["sqlite", "postgres"] if args.db == "both" else [args.db],
        workers=args.workers,
        threads=args.threads,
        connections=levels,
        wrk_threads=args.wrk_threads,
        seconds=args.seconds,
        grace=args.grace,
        warmup=args.warmup,
        fixed_rate=args.fixed_rate,
        fixed_seconds=args.fixed_seconds,
        fixed_connections=args.fixed_connections,
        drain_timeout=args.drain_timeout,
        pg_admin_url=args.pg_admin_url,
        keep=args.keep,
        py_spy_dir=args.py_spy,
    ), args.markdown


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


def source_fingerprint(app_dir: Path) -> str:
    """A short hash of the application's code and templates, tests excluded."""
    digest = hashlib.sha256()
    files = [app_dir / "pyproject.toml"]
    for folder, pattern in ((app_dir / "safepassage", "*.py"), (app_dir / "templates", "*")):
        files += [path for path in folder.rglob(pattern) if path.is_file()]
    for path in sorted(files):
        relative = path.relative_to(app_dir)
        if "tests" in relative.parts or "__pycache__" in relative.parts:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


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


def main(argv: list[str] | None = None) -> int:
    options, markdown = parse_args(sys.argv[1:] if argv is None else argv)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    command = "bench/signing " + " ".join(sys.argv[1:] if argv is None else argv)
    say(f"{command}\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine_note()}")
    work_dir = Path(tempfile.mkdtemp(prefix="safepassage-bench-"))
    reports = []
    try:
        app_dir = snapshot_application(work_dir)
        source_note = f"application source fingerprint {source_fingerprint(app_dir)}"
        say(f"{source_note} (a copy of the working tree in {app_dir})")
        wrk = ensure_wrk()
        for kind in options.databases:
            reports.append(bench_database(kind, options, wrk, app_dir, work_dir))
    except BenchError as exc:
        say(f"\nBENCHMARK FAILED: {exc}")
        return 2
    except KeyboardInterrupt:
        say("\ninterrupted: everything started has been stopped")
        return 130
    finally:
        if options.keep:
            say(f"\nkept {work_dir} (application copy, data and logs)")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    print_summary(reports)
    if markdown is not None:
        write_markdown(markdown, reports, command, source_note)
    if not all(report.integrity_ok for report in reports):
        say("\n!!!!! MISMATCH between stored rows and acknowledged submissions: see above !!!!!")
        return 1
    return 0

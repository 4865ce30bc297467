"""Several app hosts on one machine, as docs/deployment.md ("Several hosts") runs them.

Used by ``test_several_hosts.py`` and ``bench/scale``. Each host is a process tree
of its own (gunicorn with its signing writer, ``manage.py worker`` for mail and
housekeeping, ``manage.py rqworker`` for tasks) with a data directory of its own;
the hosts share nothing but PostgreSQL (through PgBouncer in transaction pooling,
``deploy/pgbouncer/pgbouncer.ini``), Redis (cache and the RQ queue) and an
S3-compatible store (moto's server, a real HTTP server on loopback). HAProxy
(``deploy/haproxy/haproxy.cfg``) balances them, checking ``/healthz``.

The two configuration files of ``deploy/`` are used as they are, with only their
addresses, ports, files and authentication replaced by this machine's.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
BUCKET = "safepassage-files"


class ClusterError(RuntimeError):
    """A component did not start or did not answer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise ClusterError(f"{what} did not happen within {timeout:.0f} s")


def http_status(port: int, path: str, timeout: float = 2.0) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": LOOPBACK})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET on loopback: status, headers (names in any case: HAProxy lowercases them), body."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": LOOPBACK, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def start(
    command: list[str], log: Path, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True, **kwargs,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM to the process group, SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stop_all(processes: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """SIGTERM to every process group at once, then wait; SIGKILL whatever lingers."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        # Whatever is left of its group (a worker or writer whose leader is gone, or all of it).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """kill -9 of the whole process group: gunicorn's master, workers and signing writer."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --------------------------------------------------------------------------- the shared services


def render_ini(text: str, values: dict[str, str], databases: str) -> str:
    """deploy/pgbouncer/pgbouncer.ini with some keys' values and its [databases] replaced."""
    out, section = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            out.append(line)
            if section == "[databases]":
                out.append(databases)
            continue
        if section == "[databases]" and stripped and not stripped.startswith(";"):
            continue
        key = stripped.split("=", 1)[0].strip()
        out.append(f"{key} = {values[key]}" if "=" in stripped and key in values else line)
    return "\n".join(out) + "\n"


def render_haproxy(text: str, port: int, backends: list[int]) -> str:
    """deploy/haproxy/haproxy.cfg listening on ``port``, balancing the given loopback ports."""
    out, servers = [], iter(backends)
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("user ", "group ", "chroot ", "log ")):
            continue  # the test's HAProxy runs as the caller, without syslog
        if stripped.startswith("bind "):
            line = f"    bind {LOOPBACK}:{port}"
        elif stripped.startswith("server "):
            name, _address, *rest = stripped.split()[1:]
            line = f"    server {name} {LOOPBACK}:{next(servers)} {' '.join(rest)}"
        elif stripped.startswith("http-check send"):
            line = re.sub(r"hdr Host \S+", f"hdr Host {LOOPBACK}", line)
        out.append(line)
    return "\n".join(out) + "\n"


@dataclass
class Shared:
    """PgBouncer, the S3 store and HAProxy, with their processes and where they listen."""

    directory: Path
    postgres_url: str  # straight to PostgreSQL: postgres://user@host:port/name
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pgbouncer_port: int = 0
    s3_port: int = 0
    haproxy_port: int = 0

    @property
    def pooled_url(self) -> str:
        parts = urllib.parse.urlsplit(self.postgres_url)
        netloc = f"{parts.username}@{LOOPBACK}:{self.pgbouncer_port}"
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))

    @property
    def s3_url(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    def start_pgbouncer(self, pool_size: int = 10) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        parts = urllib.parse.urlsplit(self.postgres_url)
        name, user = parts.path.lstrip("/"), parts.username or "postgres"
        home = self.directory / "pgbouncer"
        home.mkdir()
        (home / "userlist.txt").write_text(f'"{user}" ""\n')
        values = {
            "listen_addr": LOOPBACK,
            "listen_port": str(self.pgbouncer_port or free_port()),
            "unix_socket_dir": "",
            "auth_type": "trust",  # the test's PostgreSQL trusts loopback too
            "auth_file": str(home / "userlist.txt"),
            "logfile": str(home / "pgbouncer.log"),
            "pidfile": str(home / "pgbouncer.pid"),
            "admin_users": user,
            "default_pool_size": str(pool_size),
        }
        self.pgbouncer_port = int(values["listen_port"])
        databases = f"{name} = host={parts.hostname} port={parts.port or 5432} dbname={name}"
        source = (ROOT / "deploy/pgbouncer/pgbouncer.ini").read_text()
        (home / "pgbouncer.ini").write_text(render_ini(source, values, databases))
        command = [binary, str(home / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            runner = "postgres" if _user_exists("postgres") else "nobody"
            command.insert(1, f"--user={runner}")
            for path in [home, *home.iterdir()]:
                shutil.chown(path, user=runner)
            # It must pass through the directories above (the project's umask makes them 0700).
            for parent in home.parents:
                if parent == Path("/tmp"):
                    break
                parent.chmod(parent.stat().st_mode | 0o111)
        self.processes.append(start(command, home / "stdout.log"))
        wait_until(self._pgbouncer_up, "PgBouncer answering", timeout=20)

    def _pgbouncer_up(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.pooled_url, connect_timeout=1) as connection:
                return connection.execute("SELECT 1").fetchone() == (1,)
        except psycopg.OperationalError:
            return False

    def start_s3(self, wait: bool = True) -> None:
        """moto's S3-compatible server on loopback; with ``wait``, also ``s3_ready``."""
        self.s3_port = free_port()
        moto = [str(BIN / "moto_server"), "-H", LOOPBACK, "-p", str(self.s3_port)]
        self.processes.append(start(moto, self.directory / "s3.log"))
        if wait:
            self.s3_ready()

    def s3_ready(self) -> None:
        """Wait for the S3 server, then make the bucket, private."""
        import boto3

        wait_until(lambda: http_status(self.s3_port, "/") < 500, "the S3 server", timeout=30)
        client = boto3.client(
            "s3", endpoint_url=self.s3_url, region_name="us-east-1",
            aws_access_key_id="cluster", aws_secret_access_key="cluster-secret",
        )  # fmt: skip
        client.create_bucket(Bucket=BUCKET, ACL="private")

    def s3_objects(self) -> list[str]:
        import boto3

        client = boto3.client(
            "s3", endpoint_url=self.s3_url, region_name="us-east-1",
            aws_access_key_id="cluster", aws_secret_access_key="cluster-secret",
        )  # fmt: skip
        listing = client.list_objects_v2(Bucket=BUCKET)
        return [str(item["Key"]) for item in listing.get("Contents", [])]

    def s3_env(self) -> dict[str, str]:
        return {
            "FILE_STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": self.s3_url,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "cluster",
            "S3_SECRET_ACCESS_KEY": "cluster-secret",
        }

    def start_haproxy(self, backends: list[int]) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.haproxy_port = self.haproxy_port or free_port()
        source = (ROOT / "deploy/haproxy/haproxy.cfg").read_text()
        config = self.directory / "haproxy.cfg"
        config.write_text(render_haproxy(source, self.haproxy_port, backends))
        check = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(
                f"haproxy -c refused the configuration:\n{check.stdout}{check.stderr}"
            )
        self.processes.append(
            start([binary, "-db", "-f", str(config)], self.directory / "haproxy.log")
        )
        wait_until(lambda: http_status(self.haproxy_port, "/healthz") == 200, "HAProxy", 30)

    def stop(self) -> None:
        stop_all(list(reversed(self.processes)))


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --------------------------------------------------------------------------- the app hosts


@dataclass
class Host:
    """One app host: its own data directory, gunicorn, a mail worker and an RQ worker."""

    name: str
    directory: Path
    env: dict[str, str]
    port: int = 0
    web: subprocess.Popen[bytes] | None = None
    mail: subprocess.Popen[bytes] | None = None
    tasks: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def log(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def start_web(self, workers: int = 2, threads: int = 16) -> None:
        self.port = self.port or free_port()
        command = [str(BIN / "gunicorn"), "-c", "python:safepassage.gunicorn_conf"]
        command += ["safepassage.wsgi:application", "--bind", f"{LOOPBACK}:{self.port}"]
        command += ["--worker-class", "gthread", "--workers", str(workers)]
        command += ["--threads", str(threads), "--log-level", "warning"]
        self.web = start(command, self.log("web"), self.env)

    def wait_web(self) -> None:
        wait_until(lambda: http_status(self.port, "/healthz") == 200, f"{self.name}'s gunicorn")

    def start_workers(self) -> None:
        manage = [sys.executable, "manage.py"]
        self.mail = start([*manage, "worker"], self.log("worker"), self.env)
        rq = [*manage, "rqworker", "--with-scheduler", "--name", f"{self.name}-{os.getpid()}"]
        self.tasks = start([*rq, "default"], self.log("rqworker"), self.env)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(f"{self.name}: manage.py {args[0]} failed:\n{done.stderr}")
        return done.stdout

    def kill_web(self) -> None:
        assert self.web is not None
        kill_group(self.web)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.web, self.mail, self.tasks) if p is not None]

    def stop(self) -> None:
        stop_all(self.processes())

    def leftovers(self) -> list[int]:
        """Processes still running with this host's data directory: should be none after stop()."""
        marker = f"SAFEPASSAGE_DATA_DIR={self.env['SAFEPASSAGE_DATA_DIR']}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
        return found

    def private_files(self) -> list[Path]:
        """Files of PRIVATE_ROOT and MEDIA_ROOT on this host's own disk (none: all in S3)."""
        found: list[Path] = []
        for name in ("private", "media"):
            found += [p for p in (self.directory / "var" / name).rglob("*") if p.is_file()]
        return found


def stop_hosts(hosts: list[Host], timeout: float = 20.0) -> None:
    """Stop every host's processes; kill and report any that outlived its process group.

    A process left running would hold its port and its files into the next test
    (one was once found orphaned after a benchmark): the report names it so the
    cause can be found, and the kill keeps the machine clean meanwhile.
    """
    stop_all([p for host in hosts for p in host.processes()], timeout=timeout)
    for host in hosts:
        for pid in host.leftovers():
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                print(f"{host.name}: {pid} outlived its group: {command!r}", file=sys.stderr)
                os.kill(pid, signal.SIGKILL)


def host_env(
    name: str, directory: Path, shared: Shared, redis_url: str, base: dict[str, str]
) -> dict[str, str]:
    """The environment of one host: ``base`` (keys, mail server, throttles) and the shared parts."""
    data = directory / "var"
    return {
        **base,
        "SAFEPASSAGE_DATA_DIR": str(data),
        "SAFEPASSAGE_DEBUG": "0",
        "SAFEPASSAGE_DEMO": "0",
        "DATABASE_URL": shared.pooled_url,
        "DATABASE_PREPARED_STATEMENTS": "0",
        "DISABLE_SERVER_SIDE_CURSORS": "1",
        "DATABASE_DIRECT_URL": shared.postgres_url,
        "REDIS_URL": redis_url,
        "TASKS_BACKEND": "rq",
        **shared.s3_env(),
        "SITE_URL": f"http://{LOOPBACK}:{shared.haproxy_port}",
        "ALLOWED_HOSTS": LOOPBACK,
        # HAProxy appends the address it saw to X-Forwarded-For.
        "TRUSTED_PROXY_COUNT": "1",
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": str(directory / "tmp"),
    }


def prepare_host_directory(directory: Path, seed: Path) -> None:
    """A host's own var/: the static files and city index it would build for itself.

    Each host runs collectstatic and build_gazetteer for itself in production; the
    same files are copied from ``seed`` here, to save those minutes.
    """
    data = directory / "var"
    data.mkdir(parents=True, exist_ok=True)
    (directory / "tmp").mkdir(exist_ok=True)
    if (seed / "static").is_dir() and not (data / "static").exists():
        shutil.copytree(seed / "static", data / "static")
    for index in seed.glob("gazetteer-*.sqlite3"):
        shutil.copy2(index, data / index.name)

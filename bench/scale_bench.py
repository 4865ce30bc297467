"""bench/scale: two app hosts behind HAProxy at load, one killed mid-run, then reconciled.

The set-up of docs/deployment.md, "Several hosts", on this machine
(safepassage/core/tests/cluster.py): PostgreSQL through PgBouncer in transaction
pooling, Redis for the cache and the RQ task queue, an S3-compatible store
(moto's server), two hosts each with its own data directory, gunicorn (with its
signing writer), a mail worker and an RQ worker, and HAProxy in front. Signers
with a ledger go through HAProxy (safepassage/core/tests/ledger.py); at
``--kill-at`` of the run host A's gunicorn is killed with SIGKILL, and restarted
once the load is over, as systemd would. Then every confirmation mail is
awaited at a real SMTP sink (aiosmtpd) and the ledger is reconciled with the
database: acknowledged, stored, lost, duplicates, mails. Exits 1 if anything
acknowledged was lost or doubled, or a mail is missing or went twice.

It makes its own database (``--database``, dropped first) on the server of
``--pg-admin-url`` and empties the Redis database of ``--redis-url``.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import psycopg
import redis
from aiosmtpd.controller import Controller

from safepassage.core.tests import cluster, kept, ledger

ROOT = Path(__file__).resolve().parent.parent
RUN = "scale"


def say(text: str = "") -> None:
    print(text, flush=True)


class Sink:
    """A real SMTP server on loopback that keeps each mail's recipient."""

    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.port = cluster.free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.recipients.append(parseaddr(str(message["To"]))[1])
        return "250 Message accepted for delivery"


@contextmanager
def database(admin_url: str, name: str) -> Iterator[str]:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(admin_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def base_env(sink: Sink) -> dict[str, str]:
    """Throwaway keys shared by both hosts, the sink as mail server, limits out of the way."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAFEPASSAGE_", "DJANGO_", "EMAIL_", "THROTTLE_", "S3_", "RQ_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "SITE_URL", "ALLOWED_HOSTS", "FILE_STORAGE"}
    }
    return kept | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SIGNER_HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "THROTTLE_PER_IP": "100000000",
        "THROTTLE_PER_NETWORK": "100000000",
        "THROTTLE_PER_DOMAIN": "100000000",
        "THROTTLE_PER_PETITION": "100000000",
        "BOT_CHALLENGE_SURGE_PER_MINUTE": "100000000",
    }


def stored_names(url: str) -> list[str]:
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT last_name FROM signatures_signature WHERE last_name LIKE %s",
            [f"Ledger{RUN}%"],
        ).fetchall()
    return [str(row[0]) for row in rows]


def run(options: argparse.Namespace, scratch: Path) -> int:
    load_before = os.getloadavg()[0]
    sink = Sink()
    sink.controller.start()
    redis.Redis.from_url(options.redis_url).flushdb()
    shared = cluster.Shared(scratch / "shared", postgres_url="")
    shared.directory.mkdir()
    hosts: list[cluster.Host] = []
    try:
        with database(options.pg_admin_url, options.database) as url:
            shared.postgres_url = url
            shared.start_s3()
            shared.start_pgbouncer(pool_size=options.pool_size)
            shared.haproxy_port = cluster.free_port()
            seed = scratch / "seed"
            keys = base_env(sink)  # the same keys on every host, as in production
            for name in ("a", "b"):
                directory = scratch / name
                env = cluster.host_env(name, directory, shared, options.redis_url, keys)
                hosts.append(cluster.Host(name, directory, env))
            a, b = hosts
            # What `deploy/install` does once per deployment and each host for itself.
            say("migrating (direct to PostgreSQL) and collecting static files ...")
            setup_env = a.env | {"DATABASE_URL": url, "SAFEPASSAGE_DATA_DIR": str(seed)}

            def manage(*args: str) -> None:
                subprocess.run(
                    [sys.executable, "manage.py", *args], cwd=ROOT, env=setup_env, check=True
                )

            # Copies of the schema and the static files this same code made before, if kept.
            kept.postgres_schema(
                ROOT, options.pg_admin_url, options.database, lambda: manage("migrate", "-v0")
            )
            kept.collected(
                ROOT, seed / "static", lambda: manage("collectstatic", "--noinput", "-v0")
            )
            path = a.manage(
                "shell", "-c",
                "from safepassage.core.demo import load_demo; p = load_demo(2026);"
                "p.bot_challenge = 'off'; p.save(); print(p.get_absolute_url())",
            ).strip().splitlines()[-1]  # fmt: skip
            for host in hosts:
                cluster.prepare_host_directory(host.directory, seed)
                host.start_web(workers=options.web_workers, threads=options.threads)
                host.start_workers()
            for host in hosts:
                host.wait_web()
            shared.start_haproxy([a.port, b.port])

            say(
                f"signing {options.signers} signers with {options.clients} clients through HAProxy;"
            )
            say(f"host A's gunicorn is killed (SIGKILL) after {options.kill_at:.0%} of them")
            book = ledger.Ledger(RUN)
            killed_at: list[float] = []
            lock = threading.Lock()

            def kill(sent: int) -> None:
                with lock:
                    if not killed_at and sent >= options.signers * options.kill_at:
                        killed_at.append(time.monotonic())
                        a.kill_web()

            origin = f"http://127.0.0.1:{shared.haproxy_port}"
            ledger.sign_all(
                shared.haproxy_port, path, origin, book, range(options.signers),
                options.clients, kill,
            )  # fmt: skip
            a.start_web(workers=options.web_workers, threads=options.threads)
            expected = len(stored_names(url))
            mail_started = time.monotonic()
            deadline = mail_started + options.mail_timeout
            while len(sink.recipients) < expected and time.monotonic() < deadline:
                time.sleep(0.2)
            mail_seconds = time.monotonic() - mail_started
            time.sleep(2.0)  # a mail sent twice would arrive now
            result = ledger.reconcile(book, stored_names(url), list(sink.recipients))
    finally:
        cluster.stop_hosts(hosts)
        shared.stop()
        sink.controller.stop()

    say()
    say("Reconciliation")
    for line in result.lines():
        say(f"  {line}")
    say(f"  answered otherwise:             {dict(book.refused) or 0}")
    say(f"  no answer or proxy error:       {len(book.unanswered)}")
    say()
    say("Throughput")
    say(f"  sent {book.sent} in {book.seconds:.1f} s with {options.clients} clients")
    say(f"  acknowledged signatures:        {len(book.acknowledged) / book.seconds:.0f} /s")
    say(
        f"  mail, after the load:           {expected} stored, last mail after {mail_seconds:.1f} s"
    )
    say(f"  (2 hosts x {options.web_workers} gunicorn workers x {options.threads} threads,")
    say(f"   PgBouncer pool {options.pool_size}, {os.cpu_count()} cores shared by everything;")
    say(f"   load average before the run {load_before:.1f}, after it {os.getloadavg()[0]:.1f})")
    say()
    say(
        "CLEAN: nothing acknowledged lost or doubled, every mail once"
        if result.clean
        else "NOT CLEAN"
    )
    return 0 if result.clean else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent browsers")
    parser.add_argument("--kill-at", type=float, default=0.33, help="fraction of the run")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=16, help="threads per gunicorn worker")
    parser.add_argument("--pool-size", type=int, default=10, help="PgBouncer default_pool_size")
    parser.add_argument("--mail-timeout", type=float, default=300.0)
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--database", default="safepassage_scale")
    parser.add_argument(
        "--redis-url",
        required=True,
        help="a Redis database it may empty, e.g. redis://127.0.0.1:6379/14",
    )
    options = parser.parse_args()
    for program in ("pgbouncer", "haproxy"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            sys.exit(f"{program} is missing: apt-get install {program} (scripts/test installs it)")
    scratch = Path(tempfile.mkdtemp(prefix="sp-scale-", dir="/tmp"))
    try:
        return run(options, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

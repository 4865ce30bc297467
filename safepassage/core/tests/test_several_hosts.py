"""Two app hosts behind HAProxy, sharing only PostgreSQL (through PgBouncer), Redis and S3.

docs/deployment.md, "Several hosts", run for real (``cluster.py``): each host is
its own process tree with its own data directory (gunicorn and its signing
writer, ``manage.py worker`` for mail, ``manage.py rqworker`` for tasks). Signers
go through HAProxy with a ledger; one host's gunicorn is killed with SIGKILL part
way through; the ledger is reconciled with the database and the mail sink
(``ledger.py``). Then a packet built by the other host's RQ worker is downloaded
through the first host: the file is in the shared store, on neither host's disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

import personas
from conftest import ROOT, Mailbox, _database_url, require
from safepassage.campaigns.models import Petition
from safepassage.core.tests import cluster, ledger
from safepassage.letters.models import Letter, LetterVersion
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import make_mission, sign
from safepassage.signatures.models import Signature

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="several hosts share one PostgreSQL: the suite's PostgreSQL pass runs this",
    ),
]

SIGNERS = 180
CLIENTS = 8


def base_env(mailbox: Mailbox) -> dict[str, str]:
    """What both hosts share besides the services: keys (the test run's), mail, limits."""
    dropped = ("DATABASE_URL", "REDIS_URL", "SITE_URL", "ALLOWED_HOSTS", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return env | {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mailbox.port),
        "MAIL_SURGE_RATE": "0",  # send at full speed: the test waits for every mail
        "WORKER_NICE": "0",  # and the suite's other tests keep the machine busy
        "THROTTLE_PER_IP": "100000000",
        "THROTTLE_PER_NETWORK": "100000000",
        "THROTTLE_PER_DOMAIN": "100000000",
        "THROTTLE_PER_PETITION": "100000000",
        "BOT_CHALLENGE_SURGE_PER_MINUTE": "100000000",
        "COUNT_CACHE_SECONDS": "1",
    }


@pytest.fixture
def scratch() -> Iterator[Path]:
    # Short, under /tmp: the signing writer's Unix socket path must stay under 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="sp-hosts-", dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def packet_campaign() -> tuple[Any, Petition, Any]:
    """A campaign with a mission, routed confirmed signers and an approved letter."""
    campaign = personas.make_campaign(slug="hosts-2026")
    petition = Petition.objects.create(campaign=campaign, slug="hosts-2026")
    berlin = make_mission("cn-e-de", "embassy", "DE", "Berlin")
    sign(petition, berlin, "Annegret", "Zimmerfeld", city="Potsdam", region="DE-BB")
    sign(petition, berlin, "Jonas", "Albrecht", city="Berlin", region="DE-BE")
    letter = Letter.objects.create(campaign=campaign, language="en")
    version = LetterVersion.objects.create(
        letter=letter,
        number=1,
        subject="Safe passage",
        body="Dear Ambassador,\n\n{{ signatures_mission }} people signed here.",
        closing="Respectfully",
        status=LetterVersion.Status.APPROVED,
    )
    letter.approved_version = version
    letter.save()
    return campaign, petition, personas.organiser_of(campaign)


def test_two_hosts_behind_haproxy_lose_nothing_when_one_is_killed(
    scratch: Path, petition: Any, smtp_server: Mailbox, redis_url: str
) -> None:
    for program in ("pgbouncer", "haproxy"):
        found = shutil.which(program) or Path(f"/usr/sbin/{program}").exists()
        require(bool(found), f"{program} (Debian package {program}; scripts/test installs it)")
    petition.bot_challenge = "off"
    petition.save(update_fields=["bot_challenge"])
    campaign, packet_petition, organiser = packet_campaign()

    began = time.monotonic()

    def lap(what: str) -> None:
        print(f"{time.monotonic() - began:6.1f} s  {what}")  # shown with -s or on failure

    shared = cluster.Shared(scratch / "shared", postgres_url=_database_url())
    shared.directory.mkdir()
    hosts: list[cluster.Host] = []
    try:
        shared.start_s3(wait=False)  # it starts while the hosts do
        shared.start_pgbouncer()
        shared.haproxy_port = cluster.free_port()
        for name in ("a", "b"):
            directory = scratch / name
            cluster.prepare_host_directory(directory, Path(settings.DATA_DIR))
            env = cluster.host_env(name, directory, shared, redis_url, base_env(smtp_server))
            hosts.append(cluster.Host(name, directory, env))
        for host in hosts:
            host.start_web()
            host.start_workers()
        shared.s3_ready()
        for host in hosts:
            host.wait_web()
        a, b = hosts
        shared.start_haproxy([a.port, b.port])
        lap("services and hosts started")

        # --- Sign through HAProxy; kill -9 host A's gunicorn a third of the way ------------
        run = "hosts"
        book = ledger.Ledger(run)
        killed = threading.Event()

        def kill_a_third_of_the_way(sent: int) -> None:
            if sent >= SIGNERS // 3 and not killed.is_set():
                killed.set()
                a.kill_web()

        origin = f"http://127.0.0.1:{shared.haproxy_port}"
        ledger.sign_all(
            shared.haproxy_port, petition.get_absolute_url(), origin, book,
            range(SIGNERS), CLIENTS, kill_a_third_of_the_way,
        )  # fmt: skip
        assert killed.is_set()
        assert a.web is not None and a.web.poll() is not None
        # Most got through; what was in flight on A got HAProxy's 502 or no answer.
        assert len(book.acknowledged) >= SIGNERS * 0.8, (book.sent, book.unanswered, book.statuses)
        assert not book.refused, book.refused
        # HAProxy saw host A go and sent the rest to host B. Its health checks may
        # mark A down only after the last signer was answered (two failed checks a
        # second apart): wait for the notice rather than read the log at once.
        haproxy_log = shared.directory / "haproxy.log"
        cluster.wait_until(
            lambda: "Server app_hosts/app1 is DOWN" in haproxy_log.read_text(),
            "HAProxy's notice that host A is down",
            timeout=15,
        )
        lap(f"{book.sent} signers sent ({len(book.acknowledged)} acknowledged)")

        # --- Reconcile: rows in PostgreSQL, mails in the sink ------------------------------
        stored = Signature.objects.filter(petition=petition, last_name__startswith="Ledgerhosts")

        def names() -> list[str]:
            return list(stored.values_list("last_name", flat=True))

        expected = len(names())
        smtp_server.wait_for(expected, timeout=120)
        lap(f"{len(smtp_server.messages)} mails received")
        time.sleep(1.0)  # a mail sent twice would arrive now
        recipients = [parseaddr(str(m["To"]))[1] for m in smtp_server.messages]
        result = ledger.reconcile(book, names(), recipients)
        assert result.clean, "\n".join(result.lines())
        assert (
            result.acknowledged == len(book.acknowledged) and result.stored >= result.acknowledged
        )

        # --- Host A comes back (systemd's Restart=always) ----------------------------------
        a.start_web()
        a.wait_web()
        cluster.wait_until(
            lambda: cluster.http_status(shared.haproxy_port, "/healthz") == 200, "HAProxy", 20
        )

        # --- A packet built by host B's RQ worker, downloaded through host A ---------------
        assert a.tasks is not None
        cluster.stop(a.tasks)  # only host B takes tasks now
        a.manage(
            "shell", "-c",
            "from safepassage.campaigns.models import Petition;"
            "from safepassage.packets import services;"
            f"p = Petition.objects.get(slug={packet_petition.slug!r});"
            "services.start_build(p.campaign, p, scope='mission')",
        )  # fmt: skip
        build = PacketBuild.objects.get(petition=packet_petition)

        def built() -> bool:
            build.refresh_from_db()
            return build.status == PacketBuild.Status.DONE

        cluster.wait_until(built, "the packet build on host B", timeout=90)
        lap("packet built on host B")
        assert "build_packet_task" in b.log("rqworker").read_text()
        assert "build_packet_task" not in a.log("rqworker").read_text()
        packet = Packet.objects.filter(build=build, status=Packet.Status.DONE).first()
        assert packet is not None and packet.file.name.startswith("packets/")

        browser = Client()
        browser.force_login(organiser)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        path = f"/team/{campaign.slug}/packets/{build.pk}/{packet.pk}/pdf/"
        for port in (a.port, shared.haproxy_port):
            status, headers, body = cluster.http_get(port, path, {"Cookie": cookie})
            assert status == 200, (port, status, headers)
            assert body.startswith(b"%PDF-") and hashlib.sha256(body).hexdigest() == packet.sha256
            assert "no-store" in headers["Cache-Control"], (port, headers)

        # The files are in the store, private, and on neither host's disk.
        assert a.private_files() == [] and b.private_files() == []
        objects = shared.s3_objects()
        assert f"private/{packet.file.name}" in objects
        anonymous, _, _ = cluster.http_get(
            shared.s3_port, f"/{cluster.BUCKET}/private/{packet.file.name}"
        )
        assert anonymous == 403
        lap("packet downloaded through host A and HAProxy")
    finally:
        cluster.stop_hosts(hosts, timeout=10)
        shared.stop()


def test_the_scale_benchmark_reconciles_its_ledger(redis_url: str) -> None:
    """bench/scale at a size of seconds (docs/performance.md, "Several hosts")."""
    for program in ("pgbouncer", "haproxy"):
        found = shutil.which(program) or Path(f"/usr/sbin/{program}").exists()
        require(bool(found), f"{program} (Debian package {program}; scripts/test installs it)")
    server = urllib.parse.urlsplit(_database_url())._replace(path="/postgres").geturl()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [str(ROOT / "bench" / "scale"), "--signers", "60", "--clients", "4"]
    command += ["--pg-admin-url", server, "--database", f"safepassage_scale_{os.getpid()}"]
    command += ["--redis-url", redis_url, "--mail-timeout", "120"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "CLEAN: nothing acknowledged lost or doubled, every mail once" in output
    assert re.search(r"acknowledged but not stored: +0\n", output), output
    assert re.search(r"acknowledged signatures: +\d+ /s", output), output

"""The outbox is the queue: claims, leases, one outcome per message, and a killed sender."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import ROOT, _database_url, free_port, run_tasks, sign_data
from safepassage.outbox import sender
from safepassage.outbox.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _many_signers(settings: Any) -> None:
    settings.THROTTLE_PER_IP = settings.THROTTLE_PER_NETWORK = 10_000
    cache.clear()


def send_all_due() -> int:
    """Send until nothing is due; how many messages were claimed."""
    total = 0
    while claimed := sender.send_due():
        total += claimed
    return total


def sign(client: Any, petition: Any, count: int, prefix: str = "queued") -> None:
    for number in range(count):
        client.post(petition.get_absolute_url(), sign_data(email=f"{prefix}{number}@example.org"))


def test_committed_mail_is_sendable_without_any_task(client, petition, smtp_server):
    from django_tasks_db.models import DBTaskResult

    sign(client, petition, 3)
    assert not DBTaskResult.objects.exists()
    assert send_all_due() == 3
    assert len(smtp_server.wait_for(3)) == 3
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}


def test_a_crashed_senders_claim_is_taken_over_when_its_lease_runs_out(
    client, petition, smtp_server
):
    sign(client, petition, 3)
    claimed = sender.claim("a-sender-that-died")  # ... and sends nothing
    assert len(claimed) == 3
    assert send_all_due() == 0  # the lease still runs: nobody else may take them
    lease_end = Message.objects.values_list("next_attempt_at", flat=True).first()
    assert lease_end is not None
    assert timedelta(seconds=55) < lease_end - timezone.now() <= timedelta(seconds=60)
    Message.objects.update(next_attempt_at=timezone.now())  # a minute later
    assert send_all_due() == 3
    assert len(smtp_server.wait_for(3)) == 3
    assert list(Message.objects.values_list("status", "attempts").distinct()) == [("sent", 2)]


def test_each_outcome_is_recorded_as_soon_as_the_message_is_sent(
    client, petition, smtp_server, monkeypatch
):
    sign(client, petition, 4)
    seen: list[list[str]] = []
    send_one = sender._send_one

    def watching(message: Message, backend: Any, mailed: set[int], *args: Any) -> Any:
        seen.append(list(Message.objects.order_by("pk").values_list("status", flat=True)))
        return send_one(message, backend, mailed, *args)

    monkeypatch.setattr(sender, "_send_one", watching)
    assert sender.send_due() == 4
    # Before each message is sent, every earlier one is already recorded as sent.
    assert seen == [["sent"] * n + ["sending"] * (4 - n) for n in range(4)]


def test_a_slow_sender_renews_the_lease_of_what_it_still_holds(
    client, petition, smtp_server, monkeypatch
):
    sign(client, petition, 3)
    ticks = iter(range(0, 1000, 25))  # each look at the clock: 25 s later
    renewed: list[list[int]] = []
    renew = sender.renew

    def recording(token: str, ids: list[int]) -> None:
        renewed.append(ids)
        renew(token, ids)

    monkeypatch.setattr(sender, "renew", recording)
    assert sender.send_due(clock=lambda: float(next(ticks))) == 3
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    # A third of the lease (20 s) passes between messages: the rest is renewed each time.
    assert renewed == [ids, ids[1:], ids[2:]]


def test_a_stopping_sender_gives_back_what_it_has_not_sent(client, petition, smtp_server):
    sign(client, petition, 3)
    answers = iter([False, True])
    assert sender.send_due(stop=lambda: next(answers)) == 3
    rows = list(Message.objects.order_by("pk").values_list("status", "attempts", "claimed_by"))
    assert rows == [("sent", 1, ""), ("queued", 0, ""), ("queued", 0, "")]
    assert send_all_due() == 2
    assert len(smtp_server.wait_for(3)) == 3


def test_held_mail_is_never_claimed(client, petition, smtp_server):
    sign(client, petition, 2)
    Message.objects.update(status=Message.Status.HELD)
    assert sender.claim("any") == []
    run_tasks()
    assert smtp_server.messages == []


# --------------------------------------------------------------------------- the drill


class SlowSink:
    """A real SMTP server that takes a while over each message, so that a kill lands mid-batch."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.recipients: list[str] = []
        self.port = free_port()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.seconds)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_sink() -> Iterator[SlowSink]:
    from aiosmtpd.controller import Controller

    sink = SlowSink(0.05)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def start_worker(sink: SlowSink, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "OUTBOX_LEASE_SECONDS": "3",
        "MAIL_SURGE_RATE": "0",
        "SAFEPASSAGE_DEBUG": "0",
        "SAFEPASSAGE_DEMO": "0",
        "PYTHONUNBUFFERED": "1",
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--nice", "0", "--housekeeping", "3600"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.live
def test_killing_senders_mid_batch_loses_no_mail_and_repeats_at_most_one(
    client, petition, slow_sink, tmp_path
):
    count = 60
    sign(client, petition, count, prefix="drill")
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for kill in range(2):
            workers.append(start_worker(slow_sink, tmp_path / f"worker{kill}.log"))
            target = len(slow_sink.recipients) + 10
            flowing = lambda target=target: len(slow_sink.recipients) >= target  # noqa: E731
            wait_until(flowing, 60, "mail to flow")
            workers[-1].send_signal(signal.SIGKILL)  # mid-batch: a claim of 20 is in hand
            workers[-1].wait(timeout=10)
        workers.append(start_worker(slow_sink, tmp_path / "worker-last.log"))
        queue = Message.objects.exclude(status=Message.Status.SENT)
        wait_until(lambda: not queue.exists(), 90, "every message to be sent")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    received = Counter(slow_sink.recipients)
    assert set(received) == {f"drill{n}@example.org" for n in range(count)}  # none missing
    # Each kill may repeat the one message that was in flight, nothing more.
    assert sum(received.values()) - count <= 2
    assert max(received.values()) <= 2


@pytest.mark.live
def test_an_idle_worker_starts_on_new_mail_at_once(client, petition, slow_sink, tmp_path):
    from django.db import connection

    worker = start_worker(slow_sink, tmp_path / "idle-worker.log")
    try:
        # Long enough for its waits to reach their limit (10 s on PostgreSQL, 2 s on SQLite).
        postgresql = connection.vendor == "postgresql"
        time.sleep(12 if postgresql else 5)
        signed = time.monotonic()
        sign(client, petition, 1, prefix="awake")
        wait_until(lambda: slow_sink.recipients, 10, "the confirmation mail")
        # On PostgreSQL the commit's notification wakes it; SQLite's limit bounds the wait.
        assert time.monotonic() - signed < (2.0 if postgresql else 3.5)
    finally:
        worker.kill()
        worker.wait(timeout=10)

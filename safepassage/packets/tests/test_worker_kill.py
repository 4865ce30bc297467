"""A worker killed with SIGKILL mid-build: a new worker and a resume give the same bytes.

Real processes, as production runs them: ``manage.py worker`` (django-tasks-db)
against the test run's SQLite file, killed with SIGKILL once some packets are
built, then a fresh worker after ``resume``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from conftest import ROOT, _database_url
from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import Signers

pytestmark = pytest.mark.django_db(transaction=True)


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "SAFEPASSAGE_DEBUG": "0",
        "SAFEPASSAGE_DEMO": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow  # a worker process builds packets, is killed, and the build is done twice
def test_killing_the_worker_mid_build_then_resuming_gives_identical_packets(
    petition: Any,
    missions: Any,
    signers: Signers,
    letter: Any,
    tmp_path: Path,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # The worker subprocess opens the test's SQLite file; the SQLite pass runs this.
        pytest.skip("the killed-worker test runs in the SQLite pass of the suite")
    build = services.start_build(petition.campaign, petition, scope="mission")
    done = build.packets.filter(status=Packet.Status.DONE)

    first = start_worker(tmp_path, "worker-1")
    workers.append(first)
    wait_until(lambda: done.count() >= 2, 180, "two packets")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=20)
    killed_at = done.count()
    assert killed_at < build.total, "the worker finished before it was killed; make it bigger"
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.RUNNING and not build.zip_sha256

    # The reference: the same snapshot data built in this process.
    reference = services.start_build(petition.campaign, petition, scope="mission")
    for packet_id in reference.packets.values_list("pk", flat=True):
        services.build_one(packet_id)
    reference.refresh_from_db()
    assert reference.status == PacketBuild.Status.DONE

    services.resume(build)
    second = start_worker(tmp_path, "worker-2")
    workers.append(second)
    wait_until(
        lambda: PacketBuild.objects.get(pk=build.pk).status == PacketBuild.Status.DONE,
        240,
        "the resumed build",
    )
    build.refresh_from_db()
    assert dict(build.packets.values_list("mission__key", "sha256")) == dict(
        reference.packets.values_list("mission__key", "sha256")
    )
    assert build.zip_sha256 == reference.zip_sha256
    with build.zip_file.open("rb") as a, reference.zip_file.open("rb") as b:
        assert a.read() == b.read()

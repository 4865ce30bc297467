"""The signing writer: a real writer process, real Unix sockets, the suite's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, LiveApp, _database_url, sign_data
from safepassage.lib.emails import canonicalize
from safepassage.outbox.models import Message
from safepassage.signatures import services, writer
from safepassage.signatures.forms import SignForm
from safepassage.signatures.models import Signature
from safepassage.signatures.pending import PendingSignature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_app_web_workers() -> int:
    """Two web processes: both send their signatures to gunicorn's one writer."""
    return 2


def pending_for(petition: Any, email: str) -> PendingSignature:
    form = SignForm(sign_data(email=email), language="en")
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    return services.build_pending(petition, data, canonicalize(email), "10.0.0.1", "en")


def start_writer(path: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "signing_writer", "--socket", path], cwd=ROOT, env=env
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        assert process.poll() is None, "the writer exited"
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.05)
    time.sleep(0.1)  # listening follows binding
    return process


@pytest.fixture
def writer_socket(settings: Any) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with tempfile.TemporaryDirectory(prefix="sp-writer-") as directory:
        path = os.path.join(directory, "w.sock")
        process = start_writer(path)
        settings.SIGNING_WRITER_SOCKET = path
        writer.writer_client._unreachable_until = 0.0
        try:
            yield path, process
        finally:
            process.terminate()
            process.wait(timeout=10)
            writer.writer_client._forget()


def test_the_writer_commits_before_it_answers(petition, writer_socket):
    _, process = writer_socket
    created = writer.writer_client.submit(pending_for(petition, "first@example.org"))
    assert created is True
    # Answered only after the commit: this connection sees the row at once.
    signature = Signature.objects.get(petition=petition)
    assert signature.email_hash == services.hash_email("first@example.org")
    assert signature.email_encrypted == ""  # "count" chosen: no address kept
    confirm = Message.objects.get(signature=signature)
    assert confirm.kind == Message.Kind.SIGNATURE_CONFIRM
    assert process.poll() is None


def test_concurrent_spellings_through_the_writer_make_one_signature(petition, writer_socket):
    spellings = [
        "Ji.Woo.Kim@gmail.com",
        "jiwookim+news@googlemail.com",
        "JIWOOKIM@GMAIL.COM",
        "".join(chr(ord(c) + 0xFEE0) for c in "jiwookim") + "@gmail.com",  # full-width letters
    ] * 10
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda e: writer.writer_client.submit(pending_for(petition, e)), spellings)
        )
    assert results.count(True) == 1 and results.count(False) == len(spellings) - 1
    assert Signature.objects.filter(petition=petition).count() == 1
    assert Message.objects.filter(kind=Message.Kind.SIGNATURE_REPEAT).count() == 39


def test_many_threads_through_the_writer_are_all_stored_with_their_mail(petition, writer_socket):
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(
            pool.map(
                lambda n: writer.submit(pending_for(petition, f"group{n}@example.org")),
                range(300),
            )
        )
    assert results == [None] * 300
    assert Signature.objects.filter(petition=petition).count() == 300
    # Committed with its signature, each message is in the queue (held for review
    # above the per-address limit): no task row is needed to send it.
    assert Message.objects.filter(status__in=["queued", "held"]).count() == 300


def test_without_a_writer_the_process_commits_itself(petition, settings, caplog):
    settings.SIGNING_WRITER_SOCKET = str(Path(tempfile.gettempdir()) / "sp-no-writer.sock")
    writer.writer_client._unreachable_until = 0.0
    writer.submit(pending_for(petition, "alone@example.org"))
    assert Signature.objects.filter(petition=petition).count() == 1
    assert "unreachable" in caplog.text
    # Later submissions do not try again at once (no connect per request).
    caplog.clear()
    writer.submit(pending_for(petition, "alone2@example.org"))
    assert "unreachable" not in caplog.text
    assert Signature.objects.filter(petition=petition).count() == 2


def test_a_dead_writer_costs_no_signature(petition, writer_socket, caplog):
    _, process = writer_socket
    assert writer.writer_client.submit(pending_for(petition, "before@example.org")) is True
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    # The thread's open connection is now dead: the submission is committed here instead.
    writer.submit(pending_for(petition, "after@example.org"))
    hashes = set(Signature.objects.values_list("email_hash", flat=True))
    assert services.hash_email("after@example.org") in hashes
    assert len(hashes) == 2
    assert "committing in this process" in caplog.text


def test_the_writer_refuses_strangers(writer_socket, petition):
    path, _ = writer_socket
    with pytest.raises(AuthenticationError):
        Client(path, family="AF_UNIX", authkey=b"not the key")
    assert writer.writer_client.submit(pending_for(petition, "ok@example.org")) is True
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)


def test_a_submission_from_other_code_is_refused_not_written(writer_socket, petition):
    path, _ = writer_socket
    client = Client(path, family="AF_UNIX", authkey=writer._authkey())
    fields, recipient, *rest = writer.to_wire(pending_for(petition, "skew@example.org"))
    client.send(({**fields, "colour": "blue"}, recipient, *rest))
    assert client.recv() == ("error", "unreadable submission")
    client.close()
    assert not Signature.objects.exists()
    with pytest.raises(writer.WriterFailed):
        # A commit that fails is reported to the waiting thread (here: a CHECK constraint).
        pending = pending_for(petition, "broken@example.org")
        pending.fields["email_hash"] = "short"
        writer.writer_client.submit(pending)


@pytest.mark.live
def test_gunicorn_starts_and_stops_the_writer(live_app: LiveApp, petition):
    from safepassage.signatures.tests.test_concurrency import Browserless

    writers = _writer_processes(parent=live_app.server.pid)
    assert len(writers) == 1, writers
    client = Browserless(live_app, petition.get_absolute_url())
    assert client.post(sign_data(email="via-writer@example.org"))[0] == 302
    assert Signature.objects.count() == 1
    log = live_app.server_log()
    assert "unreachable" not in log and "committing in this process" not in log
    live_app.server.terminate()
    live_app.server.wait(timeout=20)
    assert not Path(f"/proc/{writers[0]}/cmdline").exists() or not _cmdline(writers[0])


@pytest.mark.slow  # its parent lives four seconds
def test_the_writer_stops_when_its_parent_dies(tmp_path):
    """Started with --parent (as gunicorn starts it), the writer leaves when that parent is gone."""
    path = str(tmp_path / "w.sock")
    env = {**os.environ, "DATABASE_URL": _database_url()}
    # A parent that starts the writer, waits, then dies (like a killed gunicorn master).
    code = (
        "import subprocess, sys, os, time\n"
        f"subprocess.Popen([sys.executable, 'manage.py', 'signing_writer', '--socket', {path!r},"
        " '--parent', str(os.getpid())])\n"
        "time.sleep(4)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.exists(path), "the writer did not start"
    (pid,) = [p for p in _writer_processes(parent=parent.pid) if path.encode() in _cmdline(p)]
    parent.wait(timeout=30)
    while _cmdline(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _cmdline(pid), "the writer outlived its parent"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _writer_processes(parent: int) -> list[int]:
    return _children(parent, b"signing_writer")


def _nice(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[16])


def _children(parent: int, marker: bytes) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == parent and marker in _cmdline(int(proc.name)):
                found.append(int(proc.name))
    return found


@pytest.mark.live
def test_the_writer_comes_first_and_the_worker_last(live_app: LiveApp, petition):
    """Under load the CPU goes to the writer, then the web workers, then the mail worker."""
    base = os.nice(0)
    (writer_pid,) = _writer_processes(parent=live_app.server.pid)
    web = [p for p in _children(live_app.server.pid, b"gunicorn") if p != writer_pid]
    (worker_pid,) = _children(os.getpid(), b"manage.py\x00worker\x00")
    assert _nice(writer_pid) == base
    assert web and {_nice(p) for p in web} == {base + 5}
    # The worker lowers its priority once Django is set up, which a busy machine may
    # not have finished when the server already answers.
    deadline = time.monotonic() + 20
    while _nice(worker_pid) != base + 10 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _nice(worker_pid) == base + 10


def test_a_stuck_writer_means_try_again_not_a_second_commit(petition, writer_socket, monkeypatch):
    _, process = writer_socket
    monkeypatch.setattr(writer, "WAIT_SECONDS", 0.5)
    # This thread's connection is open (as in a running server) before the writer stalls.
    assert writer.writer_client.submit(pending_for(petition, "before@example.org")) is True
    process.send_signal(signal.SIGSTOP)  # alive, but answers nothing
    try:
        with pytest.raises(TimeoutError):
            writer.writer_client.submit(pending_for(petition, "stuck@example.org"))
        assert Signature.objects.count() == 1  # not committed here as well
    finally:
        process.send_signal(signal.SIGCONT)


# --------------------------------------------------------------------------- in process


class Recorder:
    """Stands in for a web thread's connection: keeps what the writer answers."""

    def __init__(self) -> None:
        self.replies: list[object] = []

    def send(self, reply: object) -> None:
        self.replies.append(reply)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def in_process_writer(tmp_path: Path, monkeypatch: Any) -> Iterator[tuple[writer.Writer, Clock]]:
    clock = Clock()
    monkeypatch.setattr(writer, "clock", clock)
    the_writer = writer.Writer(str(tmp_path / "w.sock"))
    try:
        yield the_writer, clock
    finally:
        the_writer.listener.close()


def commit(the_writer: writer.Writer, petition: Any, *emails: str) -> Recorder:
    client = Recorder()
    the_writer._commit([(client, pending_for(petition, email)) for email in emails])  # type: ignore[misc]
    return client


def test_a_failed_batch_is_answered_with_the_error(petition, in_process_writer, monkeypatch):
    the_writer, _ = in_process_writer

    def broken(items: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "commit_batch", broken)
    client = commit(the_writer, petition, "e1@example.org", "e2@example.org")
    assert client.replies == [("error", "RuntimeError")] * 2
    assert not Signature.objects.exists()


def test_the_writer_reports_how_it_keeps_up(petition, in_process_writer, caplog):
    the_writer, clock = in_process_writer
    caplog.set_level("INFO", logger="safepassage.signatures.writer")
    commit(the_writer, petition, "g1@example.org", "g2@example.org")
    commit(the_writer, petition, "g3@example.org")
    clock.now += writer.REPORT_SECONDS
    the_writer._report.maybe_log(the_writer.batches, the_writer.rows)
    assert "3 signatures in 2 batches" in caplog.text and "1.5 per batch" in caplog.text


# --------------------------------------------------------------------------- lingering


def connect(the_writer: writer.Writer) -> Any:
    """A web thread's connection to an in-process writer (accepted here, not by its thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        accepted = pool.submit(the_writer.listener.accept)
        client = Client(the_writer.path, family="AF_UNIX", authkey=writer._authkey())
        the_writer._clients.append(accepted.result(timeout=10))
    return client


@pytest.fixture
def two_clients(in_process_writer: Any) -> Iterator[tuple[Any, Any]]:
    the_writer, _ = in_process_writer
    first, second = connect(the_writer), connect(the_writer)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_a_steady_stream_is_committed_in_fewer_bigger_batches(
    petition, in_process_writer, two_clients, monkeypatch
):
    the_writer, _ = in_process_writer
    first, second = two_clients
    commit(the_writer, petition, "h0@example.org")  # the last commit has only just ended
    lingered: list[float] = []

    def linger(seconds: float) -> None:  # a submission arrives while the writer waits
        lingered.append(seconds)
        second.send(writer.to_wire(pending_for(petition, "h2@example.org")))

    monkeypatch.setattr(writer, "pause", linger)
    first.send(writer.to_wire(pending_for(petition, "h1@example.org")))
    assert the_writer.serve_once(timeout=5) == 2
    assert lingered == [the_writer.linger] == [0.005]  # SIGNING_WRITER_LINGER_MS's default
    assert first.recv() is True and second.recv() is True
    assert the_writer.batches == 2 and Signature.objects.count() == 3


def test_the_first_signature_after_a_pause_is_committed_at_once(
    petition, in_process_writer, two_clients, monkeypatch
):
    the_writer, clock = in_process_writer
    first, _ = two_clients
    commit(the_writer, petition, "i0@example.org")
    clock.now += 1.0  # a second of quiet
    monkeypatch.setattr(writer, "pause", lambda seconds: pytest.fail("lingered"))
    first.send(writer.to_wire(pending_for(petition, "i1@example.org")))
    assert the_writer.serve_once(timeout=5) == 1
    assert first.recv() is True


def test_no_linger_when_it_is_switched_off(petition, tmp_path, monkeypatch):
    the_writer = writer.Writer(str(tmp_path / "off.sock"), linger=0)
    try:
        first = connect(the_writer)
        commit(the_writer, petition, "j0@example.org")
        monkeypatch.setattr(writer, "pause", lambda seconds: pytest.fail("lingered"))
        first.send(writer.to_wire(pending_for(petition, "j1@example.org")))
        assert the_writer.serve_once(timeout=5) == 1
        assert first.recv() is True
        first.close()
    finally:
        the_writer.listener.close()

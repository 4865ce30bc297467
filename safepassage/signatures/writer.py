"""The signing writer: one process per host commits every web process's signatures.

A commit made inside a web process waits for the interpreter lock after
each round trip to the database, behind that process's request threads, and
on SQLite it holds the database's write lock all that time, so the other web
processes wait too. The writer is a single-threaded process of its own. Web
threads send it their validated submissions over a Unix socket and wait; it
writes everything that arrived during the previous commit in one transaction
(``services.write_batch``; while submissions keep coming it first waits a
few milliseconds for more, see ``Writer.serve_once``) and answers each
thread only after that transaction is durable, so an acknowledged signature
survives a crash.

gunicorn starts the writer when it runs with ``safepassage.gunicorn_conf``
and tells its workers the socket through ``SIGNING_WRITER_SOCKET``. Without
a writer (``runserver``, the tests), or while it cannot be reached,
``submit`` commits each submission in a transaction of its own: slower, but
just as safe. On PostgreSQL too the writer is kept because it was measured
faster: a transaction per request spends more CPU per signature in the web
processes, and with the signing limits counted in the database every
transaction waits for the same counter rows (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from multiprocessing.connection import Client, Connection, Listener, wait
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from safepassage.signatures.models import Signature
from safepassage.signatures.pending import PendingSignature
from safepassage.signatures.services import commit_batch
from safepassage.signatures.throttle import LimitKeys

logger = logging.getLogger(__name__)

WAIT_SECONDS = 30.0
# After a failed connection attempt, web threads commit on their own for this long.
RETRY_SECONDS = 5.0
REPORT_SECONDS = 10.0
# A batch of this many submissions commits at once, whatever the linger.
LINGER_BELOW = 16


def clock() -> float:
    """The writer's clock (a function of its own so that tests can move it)."""
    return time.monotonic()


def pause(seconds: float) -> None:
    """The writer's wait before a commit (a function of its own so that tests can see it)."""
    time.sleep(seconds)


_FIELDS = frozenset(f.attname for f in Signature._meta.concrete_fields if not f.primary_key)


class WriterFailed(RuntimeError):
    """The writer could not commit the batch holding this submission."""


def _authkey() -> bytes:
    # Only processes that know SECRET_KEY may hand the writer rows (the socket
    # is already private to the server's user; this is a second lock).
    return hmac.new(
        settings.SECRET_KEY.encode(), b"safepassage.signing-writer", hashlib.sha256
    ).digest()


Wire = tuple[dict[str, Any], str, tuple[str, int] | None, LimitKeys]


def to_wire(pending: PendingSignature) -> Wire:
    return (
        pending.fields,
        pending.recipient_encrypted,
        pending.used_challenge,
        pending.limit_keys,
    )


def from_wire(payload: Wire) -> PendingSignature:
    fields, recipient_encrypted, used_challenge, limit_keys = payload
    if not fields.keys() <= _FIELDS:
        raise ValueError("a web process and the writer run different versions of the code")
    return PendingSignature(
        fields=fields,
        recipient_encrypted=recipient_encrypted,
        used_challenge=used_challenge,
        limit_keys=limit_keys,
    )


# --------------------------------------------------------------------------- the writer process


class _Report:
    """A line in the log every REPORT_SECONDS while signatures arrive: how the writer keeps up."""

    def __init__(self) -> None:
        self.since = clock()
        self.batches = self.rows = 0
        self.busy = 0.0

    def maybe_log(self, batches: int, rows: int) -> None:
        now = clock()
        elapsed = now - self.since
        if elapsed < REPORT_SECONDS:
            return
        if rows > self.rows:
            logger.info(
                "signing writer: %d signatures in %d batches in %.0f s (%.1f per batch), "
                "committing %.0f%% of the time",
                rows - self.rows,
                batches - self.batches,
                elapsed,
                (rows - self.rows) / (batches - self.batches),
                100 * self.busy / elapsed,
            )
        self.since, self.batches, self.rows, self.busy = now, batches, rows, 0.0


class Writer:
    """Accepts web threads' connections and commits what they send, in groups."""

    def __init__(
        self, path: str, parent_pid: int | None = None, linger: float | None = None
    ) -> None:
        self.path = path
        self.parent_pid = parent_pid
        self.linger = settings.SIGNING_WRITER_LINGER_MS / 1000 if linger is None else linger
        self._committed_at = float("-inf")
        self.listener = Listener(path, family="AF_UNIX", authkey=_authkey())
        os.chmod(path, 0o600)
        self._clients: list[Connection] = []
        self._clients_lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        self.batches = 0
        self.rows = 0
        self._report = _Report()

    def serve_forever(self) -> None:
        threading.Thread(target=self._accept, name="writer-accept", daemon=True).start()
        logger.info("signing writer listening on %s", self.path)
        try:
            while self._parent_alive():
                self.serve_once(timeout=1.0)
                self._report.maybe_log(self.batches, self.rows)
        finally:
            self.listener.close()
            connection.close()

    def _parent_alive(self) -> bool:
        # The writer serves one gunicorn master; if that dies, so does it.
        return self.parent_pid is None or os.getppid() == self.parent_pid

    def _accept(self) -> None:
        while True:
            try:
                client = self.listener.accept()
            except OSError:  # the listener was closed: shutting down
                return
            except Exception:  # a failed handshake must not stop the writer
                logger.warning("refused a connection to the signing writer", exc_info=True)
                continue
            with self._clients_lock:
                self._clients.append(client)
            os.write(self._wake_write, b"x")

    def serve_once(self, timeout: float | None = None) -> int:
        """Wait for submissions, commit those that arrived, answer them; how many."""
        with self._clients_lock:
            watched: list[Any] = [*self._clients, self._wake_read]
        batch: list[tuple[Connection, PendingSignature]] = []
        arrived = wait(watched, timeout)
        if self._streaming(arrived):
            # Signatures keep coming: wait a moment so that this commit takes in
            # the next few too. Each commit costs the writer about as much CPU
            # as several rows (and the disk one flush), and that CPU is taken
            # from the web processes, which run at a lower priority.
            pause(self.linger)
            arrived = wait(watched, 0)
        for ready in arrived:
            if ready == self._wake_read:
                os.read(self._wake_read, 4096)
                continue
            assert isinstance(ready, Connection)
            try:
                batch.append((ready, from_wire(ready.recv())))
            except (EOFError, OSError):  # the web process went away
                self._drop(ready)
            except Exception:
                logger.exception("the signing writer received something it cannot read")
                self._answer(ready, ("error", "unreadable submission"))
        if batch:
            self._commit(batch)
        return len(batch)

    def _streaming(self, arrived: list[Any]) -> bool:
        """Whether submissions arrive one after the other: the last commit has only just ended.

        A lone signature, or the first after a pause, is committed at once.
        """
        submissions = len(arrived) - (self._wake_read in arrived)
        return (
            0 < submissions < LINGER_BELOW
            and self.linger > 0
            and clock() - self._committed_at < self.linger
        )

    def _commit(self, batch: list[tuple[Connection, PendingSignature]]) -> None:
        close_old_connections()
        replies: list[object]
        now = clock()
        try:
            replies = list(commit_batch([pending for _, pending in batch]))
        except Exception as exc:
            logger.exception("the signing writer could not commit %d signatures", len(batch))
            connection.close()
            replies = [("error", type(exc).__name__)] * len(batch)
        else:
            self.batches += 1
            self.rows += len(batch)
            self._report.busy += clock() - now
        for (client, _), reply in zip(batch, replies, strict=True):
            self._answer(client, reply)
        self._committed_at = clock()

    def _answer(self, client: Connection, reply: object) -> None:
        try:
            client.send(reply)
        except OSError:
            self._drop(client)

    def _drop(self, client: Connection) -> None:
        with self._clients_lock:
            if client in self._clients:
                self._clients.remove(client)
        client.close()


# --------------------------------------------------------------------------- in the web processes


class WriterClient:
    """A web thread's way to the writer: one connection per thread, opened on first use."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._unreachable_until = 0.0

    def submit(self, pending: PendingSignature) -> bool | None:
        """True if a row was created, False for a repeat; None if the writer is not there.

        None means the caller must commit the submission itself. Raises
        WriterFailed when the writer answered that the commit failed, and
        TimeoutError when it did not answer in time.
        """
        client = self._client()
        if client is None:
            return None
        try:
            client.send(to_wire(pending))
            answered = client.poll(WAIT_SECONDS)
            reply = client.recv() if answered else None
        except (EOFError, OSError):
            # The writer went away. Whether it committed first is unknown, so
            # the caller commits again: a repeat becomes a "signed again" mail,
            # never a second row, and the signer's answer is the same.
            logger.warning("lost the signing writer; committing in this process")
            self._forget()
            self._unreachable_until = time.monotonic() + RETRY_SECONDS
            return None
        if not answered:
            # Alive but stuck (the database is): the signer is asked to try
            # again; committing here too would only add to the pile-up.
            self._forget()
            raise TimeoutError("the signing writer did not answer")
        if isinstance(reply, tuple):
            raise WriterFailed(str(reply[1]))
        return bool(reply)

    def _client(self) -> Connection | None:
        path = settings.SIGNING_WRITER_SOCKET
        if not path:
            return None
        client: Connection | None = getattr(self._local, "client", None)
        if client is not None and self._local.pid == os.getpid():
            return client
        if time.monotonic() < self._unreachable_until:
            return None
        try:
            client = Client(path, family="AF_UNIX", authkey=_authkey())
        except (OSError, EOFError) as exc:
            logger.warning("signing writer at %s unreachable (%s); committing here", path, exc)
            self._unreachable_until = time.monotonic() + RETRY_SECONDS
            return None
        self._local.client = client
        self._local.pid = os.getpid()
        return client

    def _forget(self) -> None:
        client = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            client.close()


writer_client = WriterClient()


def submit(pending: PendingSignature) -> None:
    """Durably store one submission before returning.

    Through the host's signing writer when there is one, grouped with
    concurrent submissions; otherwise in a transaction of its own.
    """
    if writer_client.submit(pending) is None:
        commit_batch([pending])

"""Group commit for signing: many requests, one durable transaction.

Each web process runs one committer thread. A request thread hands its
validated submission over and waits; the committer takes everything that
arrived while the previous commit was being flushed to disk and writes it in
a single transaction. A request is answered only after the transaction that
holds its row has committed, so an acknowledged signature survives a crash,
while the number of commits per second (and the lock traffic between
processes on SQLite) stays small.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future

from django.db import close_old_connections, connection

from safepassage.lib.writelock import database_write_lock
from safepassage.signatures.pending import PendingSignature
from safepassage.signatures.services import commit_batch

logger = logging.getLogger(__name__)

MAX_BATCH = 500
WAIT_SECONDS = 30.0


class GroupCommitter:
    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[PendingSignature, Future[bool]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, pending: PendingSignature) -> bool:
        """Block until the submission is committed; True if it created a row."""
        self._ensure_running()
        future: Future[bool] = Future()
        self._queue.put((pending, future))
        return future.result(timeout=WAIT_SECONDS)

    def _ensure_running(self) -> None:
        # A thread does not survive fork(): a pre-forking server's workers each
        # start their own on first use.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="signing-committer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[tuple[PendingSignature, Future[bool]]]) -> None:
        close_old_connections()
        try:
            with database_write_lock():
                created = commit_batch([pending for pending, _ in batch])
        except BaseException as exc:  # every waiting request must be answered
            logger.exception("group commit of %d signatures failed", len(batch))
            connection.close()
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), was_created in zip(batch, created, strict=True):
            future.set_result(was_created)


committer = GroupCommitter()

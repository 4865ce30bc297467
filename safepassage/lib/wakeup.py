"""Waking the background worker when work is committed, and letting it sleep otherwise.

The worker (``manage.py worker``) looks for due mail and due tasks; when it
finds none it waits, longer each time up to a limit (``Backoff``), so that an
idle worker costs next to nothing. On PostgreSQL it also listens on a
channel per kind of work (``Listener``), and the code that queues work calls
``wake`` so that the worker starts at once instead of at its next look.

``wake`` sends its NOTIFY after the caller's transaction has committed, in
a statement of its own: a transaction that notifies takes a database-wide
lock for its commit, which would put every signing transaction in single
file. A process notifies a channel at most once per ``DEBOUNCE_SECONDS``;
a worker that has just been woken looks again shortly after it runs dry, so
it finds what a skipped notification would have announced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import psycopg
from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

MAIL = "safepassage_mail"
TASKS = "safepassage_tasks"

DEBOUNCE_SECONDS = 0.05
# The first wait after the worker runs dry; each further empty look doubles it.
FIRST_WAIT = 0.05

_last_notified: dict[str, float] = {}


def wake(channel: str) -> None:
    """Tell the workers listening on ``channel`` that work is queued, once the caller commits."""
    if connection.vendor != "postgresql":
        return
    transaction.on_commit(lambda: _notify(channel))


def _notify(channel: str) -> None:
    now = time.monotonic()
    if now - _last_notified.get(channel, float("-inf")) < DEBOUNCE_SECONDS:
        return
    _last_notified[channel] = now
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [channel])
    except Exception:  # the work is committed; the worker's next look finds it
        logger.warning("could not wake the worker on %s", channel, exc_info=True)


class Backoff:
    """How long a loop waits before looking for work again: short after work, long when idle."""

    def __init__(self, maximum: float, first: float = FIRST_WAIT) -> None:
        self.first = first
        self.maximum = maximum
        self.delay = first

    def wait(self, event: threading.Event) -> None:
        """Wait for ``event`` (a notification) or the current delay, whichever comes first."""
        if event.wait(self.delay):
            event.clear()
            self.delay = self.first
        else:
            self.delay = min(self.delay * 2, self.maximum)

    def reset(self) -> None:
        self.delay = self.first


class Listener:
    """Sets an event per channel whenever PostgreSQL delivers a notification on it.

    Runs in a thread of its own on a connection of its own. After losing the
    connection it reconnects and sets every event, since notifications sent
    meanwhile are lost.
    """

    RECONNECT_SECONDS = 5.0
    # How soon the thread sees ``stop`` while no notification comes (and so how long
    # its connection outlives a shutdown); a wait for a socket, no query.
    POLL_SECONDS = 1.0

    def __init__(self, channels: Iterable[str], stop: threading.Event) -> None:
        self.events = {channel: threading.Event() for channel in channels}
        self.stop = stop
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if connection.vendor != "postgresql":
            return
        self.thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread, asked to stop, has closed its connection."""
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._listen()
            except Exception:
                logger.warning("lost the notification connection; reconnecting", exc_info=True)
                self.stop.wait(self.RECONNECT_SECONDS)

    def _listen(self) -> None:
        if settings.DATABASE_DIRECT_URL:
            # Behind a transaction pooler (PgBouncer) a LISTEN would stay on whichever
            # server connection ran it: the listener goes straight to PostgreSQL.
            raw = psycopg.connect(settings.DATABASE_DIRECT_URL)
        else:
            raw = connection.get_new_connection(connection.get_connection_params())
        try:
            raw.autocommit = True
            for channel in self.events:
                raw.execute(f"LISTEN {channel}")
            for event in self.events.values():
                event.set()
            while not self.stop.is_set():
                for note in raw.notifies(timeout=self.POLL_SECONDS):
                    self.events[note.channel].set()
        finally:
            raw.close()

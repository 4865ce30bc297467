"""Telling the mail senders that mail was queued."""

from __future__ import annotations

from safepassage.lib.wakeup import MAIL, wake


def wake_senders() -> None:
    """Start sending at once the mail the caller's transaction queues.

    Optional: a queued message is sendable as soon as it is committed, and
    the worker's next look finds it anyway (within a second on SQLite); on
    PostgreSQL this wakes it when the transaction commits.
    """
    wake(MAIL)

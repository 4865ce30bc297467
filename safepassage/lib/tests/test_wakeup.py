"""Waking the worker: NOTIFY after commit on PostgreSQL, growing waits when idle."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from safepassage.lib import wakeup


def test_an_idle_loop_waits_longer_each_time_up_to_its_limit():
    backoff = wakeup.Backoff(maximum=0.4, first=0.05)
    never = threading.Event()
    waits = []
    for _ in range(5):
        waits.append(backoff.delay)
        backoff.wait(never)
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.4]
    backoff.reset()
    assert backoff.delay == 0.05


def test_a_notification_ends_the_wait_at_once_and_starts_over_short():
    backoff = wakeup.Backoff(maximum=30.0, first=0.05)
    backoff.delay = 30.0
    woken = threading.Event()
    woken.set()
    started = time.monotonic()
    backoff.wait(woken)
    assert time.monotonic() - started < 1.0
    assert backoff.delay == 0.05 and not woken.is_set()


@pytest.fixture
def listening(db: Any) -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY exists on PostgreSQL only; SQLite workers poll")
    stop = threading.Event()
    listener = wakeup.Listener([wakeup.MAIL, wakeup.TASKS], stop)
    listener.start()
    # A fresh connection sets every event once (notifications may have been missed).
    assert listener.events[wakeup.MAIL].wait(10)
    for event in listener.events.values():
        event.clear()
    wakeup._last_notified.clear()
    yield listener
    stop.set()
    listener.join()


def _listening_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %%'"
        )
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.django_db(transaction=True)
def test_a_stopped_listener_has_closed_its_connection_when_joined(listening):
    assert _listening_sessions() == 1
    listening.stop.set()
    started = time.monotonic()
    listening.join(timeout=10)
    # Within a poll, so that a restore run just after a worker stops finds no client left.
    assert time.monotonic() - started < wakeup.Listener.POLL_SECONDS + 1
    assert listening.thread is not None and not listening.thread.is_alive()
    # The thread has closed its end; the server's process for it exits a moment later.
    deadline = time.monotonic() + 2
    while _listening_sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _listening_sessions() == 0


@pytest.mark.django_db(transaction=True)
def test_work_committed_on_postgresql_wakes_the_listener(listening):
    with transaction.atomic():
        wakeup.wake(wakeup.MAIL)
        # Not before the commit: the worker would look before the mail is there.
        assert not listening.events[wakeup.MAIL].wait(0.3)
    assert listening.events[wakeup.MAIL].wait(5)
    assert not listening.events[wakeup.TASKS].is_set()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_wakes_nobody(listening):
    with pytest.raises(RuntimeError), transaction.atomic():
        wakeup.wake(wakeup.MAIL)
        raise RuntimeError("rolled back")
    assert not listening.events[wakeup.MAIL].wait(0.5)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_sends_one_notification(listening, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        for _ in range(50):
            wakeup.wake(wakeup.TASKS)  # autocommit: each runs at once, debounced
    assert listening.events[wakeup.TASKS].wait(5)


def test_on_sqlite_waking_costs_nothing(db: Any, django_assert_num_queries: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass checks this")
    with django_assert_num_queries(0):
        wakeup.wake(wakeup.MAIL)

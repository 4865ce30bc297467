"""The background worker: mail from the outbox, tasks from the task queue, housekeeping.

``manage.py worker`` runs three loops in threads of one process:

- mail: claims due outbox messages and sends them (``outbox.sender``);
- tasks: runs due tasks of the Django Tasks API (routing, packets,
  statistics), one at a time, with the database backend's own locking;
  not with ``TASKS_BACKEND=rq``, where ``manage.py rqworker`` runs them;
- housekeeping: the periodic sweep (``core.housekeeping``).

When the mail or the task loop finds nothing to do it waits, twice as long
after each empty look up to a limit (``lib.wakeup.Backoff``). On PostgreSQL
a listener wakes it as soon as work is committed (``lib.wakeup``), so the
limit can be long; on SQLite the limit is two seconds, which bounds how late
a confirmation mail starts (measured: an idle worker then costs about 0.13 %
of a core, bench/idle_worker). Run as many workers as you like on any host that
reaches the database: the outbox and the task queue are shared safely.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from safepassage.core.housekeeping import housekeeping
from safepassage.lib.wakeup import MAIL, TASKS, Backoff, Listener, wake
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.sender import send_due

logger = logging.getLogger(__name__)

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"

# The longest wait between two looks for work when idle, by database.
IDLE_SECONDS = {"postgresql": 10.0}
IDLE_SECONDS_ELSEWHERE = 2.0


def _commit_without_waiting_for_the_disk(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    """Receiver of ``connection_created`` in the worker: SQLite's ``synchronous=NORMAL``.

    The mail sender writes each message's outcome in a transaction of its
    own, and on SQLite every durable commit flushes the disk while holding
    the database's only write lock, so the signing writer waited behind
    them (p99 at 500 signatures/s rose from 41 to 155 ms). In WAL mode with
    ``NORMAL`` a commit is made durable at the next checkpoint instead: a
    killed worker loses nothing (the kernel holds what it wrote), and a
    power cut can lose only the worker's last records, all of which it
    redoes (a message then goes out again, as after any lost outcome). The
    web processes and the signing writer keep ``synchronous=FULL``.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")


def idle_seconds() -> float:
    return IDLE_SECONDS.get(connection.vendor, IDLE_SECONDS_ELSEWHERE)


def _task_runner() -> Worker:
    # The database backend's worker, used only to run one claimed task (its
    # signals, its recording of the result); the loop around it is ours.
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()[:40]}-{os.getpid()}",
        excluded_queue_names=[],
    )


def run_due_task(runner: Worker) -> int:
    """Run the first due task, if any; 1 if one ran."""
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    if not ready.exists():  # a read, no write lock: what an idle worker does every look
        return 0
    try:
        with database_write_lock(), exclusive_transaction():
            task = ready.get_locked()
            if task is not None:
                task.claim(runner.worker_id)
    except OperationalError:
        if connection.vendor != "sqlite":
            raise
        return 0  # SQLite was busy: look again shortly
    if task is None:
        return 0
    runner.run_task(task)
    return 1


def run_all_due() -> None:
    """Send all due mail and run all due tasks, until none is left (tests, one-off runs)."""
    runner = _task_runner()
    while run_due_task(runner) + send_due():
        pass


def tasks_in_database() -> bool:
    """Do tasks wait in our database (the default) rather than in RQ (``TASKS_BACKEND=rq``)?"""
    return bool(settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND)


def wake_task_workers(sender: object, **kwargs: object) -> None:
    """Receiver of ``task_enqueued``: wake the workers once the task is committed."""
    if tasks_in_database():
        wake(TASKS)


def _loop(name: str, work: Callable[[], int], wake: threading.Event, stop: threading.Event) -> None:
    backoff = Backoff(idle_seconds())
    while not stop.is_set():
        close_old_connections()
        try:
            done = work()
        except Exception:
            logger.exception("the %s loop failed; will try again", name)
            connection.close()
            done = 0
        if done:
            backoff.reset()
        else:
            backoff.wait(wake)
    connection.close()


def _sweep(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            close_old_connections()
            housekeeping()
        except Exception:
            logger.exception("housekeeping failed; will try again")
    connection.close()


class BackgroundWorker:
    """The loops of one worker process, started in threads and stopped together."""

    def __init__(self, housekeeping_seconds: float = 60.0) -> None:
        self.stop = threading.Event()
        # With TASKS_BACKEND=rq the tasks wait in Redis for `manage.py rqworker`; this
        # process still sends the mail, which the outbox queues in the database.
        tasks = tasks_in_database()
        self.listener = Listener([MAIL, TASKS] if tasks else [MAIL], self.stop)
        events = self.listener.events
        self.threads = [
            threading.Thread(
                target=_loop,
                args=("mail", lambda: send_due(stop=self.stop.is_set), events[MAIL], self.stop),
                name="mail",
            ),
            threading.Thread(
                target=_sweep, args=(housekeeping_seconds, self.stop), name="housekeeping"
            ),
        ]
        if tasks:
            runner = _task_runner()
            self.threads.insert(
                1,
                threading.Thread(
                    target=_loop,
                    args=("tasks", lambda: run_due_task(runner), events[TASKS], self.stop),
                    name="tasks",
                ),
            )

    def start(self) -> None:
        connection_created.connect(_commit_without_waiting_for_the_disk)
        close_old_connections()
        connection.close()  # reopened with the setting above
        self.listener.start()
        for thread in self.threads:
            thread.start()

    def shutdown(self) -> None:
        """Ask every loop to stop after what it is doing (a message, a task) and wake it."""
        self.stop.set()
        for event in self.listener.events.values():
            event.set()

    def join(self, timeout: float | None = None) -> None:
        for thread in self.threads:
            thread.join(timeout)
        self.listener.join(timeout)

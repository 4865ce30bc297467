"""Run background work: outbox mail, queued tasks and periodic housekeeping (core.worker).

This is the one worker process the README starts; run as many as you like
on any host that reaches the database.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from safepassage.core.worker import BackgroundWorker

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send outbox mail, run queued tasks and periodic housekeeping until stopped."
    # No system checks at start, as gunicorn's web processes run none: they are for deploy
    # time (manage.py check --deploy, migrate) and cost about 0.6 s of CPU per start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--housekeeping", type=float, default=60.0, help="seconds between sweeps"
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=settings.WORKER_NICE,
            help="lower this process's CPU priority by this much (default: WORKER_NICE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["nice"] > 0:
            # On a shared host, people waiting for the signing form's answer come
            # first; mail, routing and statistics catch up when the CPU is free.
            os.nice(options["nice"])
            _lower_session_priority(options["nice"])
        worker = BackgroundWorker(housekeeping_seconds=options["housekeeping"])

        def stop(signum: int, frame: object) -> None:
            logger.info("worker stopping (%s)", signal.Signals(signum).name)
            worker.shutdown()

        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, stop)
        worker.start()
        logger.info("worker %s started", os.getpid())
        while not worker.stop.wait(1.0):
            pass
        # A message being sent or a task being run is finished first; a task
        # still running after this is abandoned (the process exits).
        worker.join(timeout=30.0)


def _lower_session_priority(nice: int) -> None:
    """Lower the whole session's share too when this process leads its own session.

    Linux gives each session (autogroup) an equal share of the CPU whatever
    the nice values inside it, so a worker started in a session of its own
    (by a service manager or setsid) is only put behind the web server this way.
    """
    autogroup = "/proc/self/autogroup"
    if os.getsid(0) != os.getpid() or not os.path.exists(autogroup):
        return
    try:
        with open(autogroup, "w") as handle:
            handle.write(str(nice))
    except OSError:
        logger.info("could not lower this session's CPU priority; running at nice %d", nice)

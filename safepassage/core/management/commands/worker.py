"""Run background work: the task queue plus periodic housekeeping.

This is the one worker process the README starts; run as many as you like
on any host that reaches the database.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from safepassage.core.housekeeping import housekeeping

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run queued tasks and periodic housekeeping until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.2, help="queue poll interval (s)")
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
        stop = threading.Event()

        def sweep() -> None:
            while not stop.wait(options["housekeeping"]):
                try:
                    close_old_connections()
                    housekeeping()
                except Exception:
                    logger.exception("housekeeping failed; will try again")

        threading.Thread(target=sweep, name="housekeeping", daemon=True).start()
        try:
            call_command(
                "db_worker",
                interval=options["interval"],
                reload=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()


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

"""Run background work: the task queue plus periodic housekeeping.

This is the one worker process the README starts; run as many as you like
on any host that reaches the database.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

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

    def handle(self, *args: Any, **options: Any) -> None:
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

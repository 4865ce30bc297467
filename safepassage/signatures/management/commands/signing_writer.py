"""Run the signing writer (normally started by gunicorn through safepassage.gunicorn_conf)."""

from __future__ import annotations

import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safepassage.signatures.writer import Writer


class Command(BaseCommand):
    help = "Commit the web processes' signatures in groups, listening on a Unix socket."
    # No system checks at start, as gunicorn's web processes run none: they are for deploy
    # time (manage.py check --deploy, migrate) and cost about 0.6 s of CPU per start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--socket", required=True, help="path of the Unix socket to create")
        parser.add_argument(
            "--parent",
            type=int,
            default=None,
            help="stop when this process is no longer the parent",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Stopped with SIGTERM: leave through a normal exit, which closes the
        # socket and the database connection. A batch interrupted mid-commit is
        # rolled back, and its threads, told nothing yet, commit it themselves.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        Writer(options["socket"], parent_pid=options["parent"]).serve_forever()

"""Apply exported erasures again, after restoring a backup taken before them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.signatures import erasurelog
from safepassage.signatures.services import replay_erasures


class Command(BaseCommand):
    help = (
        "Replay erasure tombstones written by export_erasures or kept in ERASURE_LOG_PATH "
        "(idempotent). manage.py restore does this by itself."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON lines from export_erasures")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as handle:
                records = erasurelog.parse(handle)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        erasures = erasurelog.erasures(records)
        removed = replay_erasures([record.as_replay() for record in erasures])
        self.stdout.write(f"{len(erasures)} erasures replayed, {removed} signatures removed")
        others = len(records) - len(erasures)
        if others:
            # Cancelled RSVPs, unsubscribes and undeliverable addresses: restore
            # replays them, with the rest of the restore.
            self.stdout.write(
                f"{others} cancelled RSVPs, unsubscribes and undeliverable addresses "
                "left for manage.py restore to replay"
            )

"""Apply exported erasures again, after restoring a backup taken before them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.signatures.services import replay_erasures


class Command(BaseCommand):
    help = "Replay erasure tombstones written by export_erasures (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON lines from export_erasures")

    def handle(self, *args: Any, **options: Any) -> None:
        records = []
        with open(options["file"], encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    records.append(
                        (
                            int(item["petition"]),
                            str(item["email_hash"]),
                            datetime.fromisoformat(item["erased_at"]),
                            str(item["reason"]),
                        )
                    )
                except (ValueError, KeyError) as exc:
                    raise CommandError(f"line {number}: {exc}") from exc
        removed = replay_erasures(records)
        self.stdout.write(f"{len(records)} erasures replayed, {removed} signatures removed")

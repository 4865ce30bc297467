"""Write the erasure tombstones (hashes only) as JSON lines, to keep beside backups."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from safepassage.signatures import erasurelog


class Command(BaseCommand):
    help = (
        "Export erasure tombstones as JSON lines (no personal data: keyed hashes and times). "
        "The worker keeps ERASURE_LOG_PATH up to date by itself; see docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="only erasures at or after this ISO date-time")

    def handle(self, *args: Any, **options: Any) -> None:
        records = erasurelog.database_records()
        if options["since"]:
            since = parse_datetime(options["since"])
            if since is None:
                raise CommandError("--since must be an ISO date-time, e.g. 2026-09-24T00:00:00Z")
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            records = [r for r in records if r.erased_at >= since]
        for record in records:
            self.stdout.write(record.to_json())

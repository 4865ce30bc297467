"""Write the erasure tombstones (hashes only) as JSON lines, to keep beside backups."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safepassage.signatures.models import Erasure


class Command(BaseCommand):
    help = "Export erasure tombstones as JSON lines (no personal data: keyed hashes and times)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="only erasures at or after this ISO date-time")

    def handle(self, *args: Any, **options: Any) -> None:
        erasures = Erasure.objects.order_by("erased_at", "pk")
        if options["since"]:
            erasures = erasures.filter(erased_at__gte=options["since"])
        for erasure in erasures.iterator():
            record = {
                "petition": erasure.petition_id,
                "email_hash": erasure.email_hash,
                "erased_at": erasure.erased_at.isoformat(),
                "reason": erasure.reason,
            }
            self.stdout.write(json.dumps(record, sort_keys=True))

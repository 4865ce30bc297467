"""Restore a backup; erase, cancel and unsubscribe again whoever was erased, cancelled
an RSVP or unsubscribed since (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.core.backups import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Replace the configured database with a backup written by `manage.py backup`, "
        "migrate it, and replay every known erasure (the backup's own log, ERASURE_LOG_PATH "
        "and the database being replaced), then every known cancelled RSVP, unsubscribe "
        "from updates and address reported undeliverable. Stop the application first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="a directory written by manage.py backup")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backup: Path = options["backup"]
        try:
            manifest = read_manifest(backup)
            if options["interactive"]:
                answer = input(
                    f"This replaces the current database with the {manifest['database']} "
                    f"backup taken at {manifest['taken_at']}. Type 'yes' to go on: "
                )
                if answer.strip() != "yes":
                    raise CommandError("Restore cancelled.")
            restored = restore_backup(backup, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the {restored.database} backup taken at {restored.taken_at} and migrated it."
        )
        self.stdout.write(
            f"Replayed {restored.erasures_known} erasures: {restored.signatures_removed} "
            f"signatures erased again, {restored.mail_withheld} queued messages withheld."
        )
        self.stdout.write(
            f"Replayed {restored.cancels_known} cancelled RSVPs: "
            f"{restored.cancels_reapplied} cancelled again."
        )
        self.stdout.write(
            f"Replayed {restored.unsubscribes_known} unsubscribes: "
            f"{restored.unsubscribes_reapplied} re-applied."
        )
        self.stdout.write(
            f"Replayed {restored.undeliverable_known} undeliverable addresses: "
            f"{restored.undeliverable_reapplied} marked again."
        )

"""Back up the database together with the erasure log (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.core.backups import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write a backup of the database and the erasure log, with a manifest, into a new "
        "directory under BACKUP_DIR (or --to). Safe while the application runs. The keys "
        "are never in it: keep them elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            help="directory to write the backup under (default: BACKUP_DIR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        destination = options["to"] or Path(settings.BACKUP_DIR)
        try:
            backup = create_backup(destination)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {backup.database} database and {backup.erasures} erasures "
            f"({backup.size} bytes) to {backup.path}"
        )

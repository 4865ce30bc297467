from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safepassage.directory import corrections


class Command(BaseCommand):
    help = (
        "Export the accepted corrections of a sending state's missions as a CSV in the "
        "bundled directory file's format, with their sources (docs/directory.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sending-state", default="CN")
        parser.add_argument(
            "--since", type=date.fromisoformat, help="accepted on or after YYYY-MM-DD (default all)"
        )
        parser.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        text, count = corrections.export_csv(options["sending_state"], options["since"])
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8", newline="")
            self.stderr.write(f"{count} missions with accepted corrections")
        else:
            self.stdout.write(text, ending="")

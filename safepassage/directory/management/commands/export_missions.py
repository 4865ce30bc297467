import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safepassage.directory import export


class Command(BaseCommand):
    help = "Export the mission directory as CSV or JSON (the import format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--sending-state", default="")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        missions = export.export_queryset(options["sending_state"].upper())
        out = (
            options["output"].open("w", encoding="utf-8", newline="")
            if options["output"]
            else sys.stdout
        )
        try:
            if options["format"] == "json":
                out.write(export.export_json(missions))
            else:
                export.export_csv(missions, out)
        finally:
            if options["output"]:
                out.close()

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.directory import bundled, transfer


class Command(BaseCommand):
    help = (
        "Import missions from CSV or JSON files (validated, idempotent), or the bundled data: "
        "--bundled prc (the PRC's posts with consular districts) or --bundled world "
        "--sending-state XX (any state's missions from Wikidata, 2022). The admin's "
        "'Load the bundled directory' page does the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="CSV or JSON files of missions")
        parser.add_argument("--bundled", choices=list(bundled.SOURCES))
        parser.add_argument(
            "--sending-state",
            default="",
            help="ISO code: the state of rows without one; rows of other states are skipped",
        )
        parser.add_argument("--districts", type=Path, help="CSV: mission_id,code,source_url,...")
        parser.add_argument(
            "--strict", action="store_true", help="exit with an error if any row is rejected"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reports = []
        state = options["sending_state"].upper()
        if options["bundled"]:
            try:
                reports += bundled.load(state, options["bundled"])
            except ValueError as error:
                raise CommandError(str(error)) from error
        for path in options["files"]:
            if not path.exists():
                raise CommandError(f"{path} does not exist")
            try:
                reports.append(transfer.import_file(path, sending_state=state))
            except ValueError as error:
                raise CommandError(f"{path}: {error}") from error
        if options["districts"]:
            text = options["districts"].read_text(encoding="utf-8")
            reports.append(transfer.import_districts(transfer.read_csv(text)))
        if not reports:
            raise CommandError("name files to import, or --bundled prc|world")
        rejected = 0
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
            rejected += len(report.rejected)
        if rejected and options["strict"]:
            raise CommandError(f"{rejected} rows rejected")

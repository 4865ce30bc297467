from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.directory import bundled
from safepassage.directory.coverage import coverage
from safepassage.directory.coverage_report import render_markdown


class Command(BaseCommand):
    help = (
        "Report how complete the mission data files are (Markdown): counts, missing "
        "addresses and coordinates, consular districts, flagged notes. Reads the CSV files "
        "only, not the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--missions", type=Path, default=bundled.PRC_MISSIONS)
        parser.add_argument("--districts", type=Path, default=bundled.PRC_DISTRICTS)
        parser.add_argument("-o", "--output", type=Path, help="file to write (default stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("missions", "districts"):
            if not options[name].is_file():
                raise CommandError(f"{options[name]} does not exist")
        report = render_markdown(coverage(options["missions"], options["districts"]))
        if options["output"]:
            options["output"].write_text(report, encoding="utf-8", newline="\n")
        else:
            self.stdout.write(report, ending="")

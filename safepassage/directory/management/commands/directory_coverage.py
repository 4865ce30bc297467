from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.campaigns.models import Campaign
from safepassage.directory import bundled
from safepassage.directory.coverage import coverage
from safepassage.directory.coverage_report import render_markdown
from safepassage.directory.freshness import campaign_freshness, max_age_months


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
        parser.add_argument(
            "--freshness",
            action="store_true",
            help="instead: per campaign (from the database), the missions it plans to deliver "
            "to whose address is missing, stale or verified",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["freshness"]:
            self.stdout.write(self.freshness(), ending="")
            return
        for name in ("missions", "districts"):
            if not options[name].is_file():
                raise CommandError(f"{options[name]} does not exist")
        report = render_markdown(coverage(options["missions"], options["districts"]))
        if options["output"]:
            options["output"].write_text(report, encoding="utf-8", newline="\n")
        else:
            self.stdout.write(report, ending="")

    def freshness(self) -> str:
        lines = [
            "# Freshness of the missions' addresses",
            "",
            f"Stale: not confirmed in the last {max_age_months()} months.",
            "",
            "| campaign | missing | stale | verified |",
            "|---|---|---|---|",
        ]
        reports = [campaign_freshness(c) for c in Campaign.objects.order_by("-year", "slug")]
        for report in reports:
            counts = report.counts
            lines.append(
                f"| {report.campaign.slug} | {counts['missing']} | {counts['stale']} "
                f"| {counts['verified']} |"
            )
        for report in reports:
            if report.to_check:
                lines += ["", f"## To check: {report.campaign.slug}", ""]
                for row in report.to_check:
                    when = row.confirmed.isoformat() if row.confirmed else "never"
                    lines.append(
                        f"- {row.mission.key} {row.mission.name} ({row.mission.city}, "
                        f"{row.mission.host_country}): {row.state}, last confirmed {when}"
                    )
        return "\n".join(lines) + "\n"

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from safepassage.core.demo import load_demo
from safepassage.core.demo_activity import load_demo_signatures, plan_demo_deliveries
from safepassage.directory.bundled import ensure_directory
from safepassage.directory.routing import route_petition
from safepassage.events.demo import load_demo_events
from safepassage.reports.stats import refresh_stats


class Command(BaseCommand):
    help = (
        "Create or refresh the demo campaign (Save North Korean Refugees Day) as a campaign "
        "in progress: its day of action a few weeks from today, events on that day, "
        "deliveries planned, signatures of the past weeks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year", type=int, default=None, help="24 September of this year instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        petition = load_demo(options["year"])
        campaign = petition.campaign
        for report in ensure_directory(campaign.target_government):
            self.stdout.write(f"Mission directory: {report.summary()}")
        if load_demo_events(campaign):
            self.stdout.write("Demo events created.")
        if plan_demo_deliveries(petition):
            self.stdout.write("Demo deliveries planned.")
        signed = load_demo_signatures(petition, timezone.localdate())
        if signed:
            route_petition(petition)
            self.stdout.write(f"{signed} demo signatures added.")
        refresh_stats(campaign)
        self.stdout.write(
            f"Day of action: {campaign.day_of_action.isoformat()}. "
            f"Demo petition: {settings.SITE_URL}{petition.get_absolute_url()}"
        )

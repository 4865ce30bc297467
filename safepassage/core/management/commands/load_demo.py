from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from safepassage.core.demo import load_demo
from safepassage.directory.bundled import ensure_directory
from safepassage.events.demo import load_demo_events


class Command(BaseCommand):
    help = "Create or refresh the demo campaign (Save North Korean Refugees Day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        petition = load_demo(options["year"])
        for report in ensure_directory(petition.campaign.target_government):
            self.stdout.write(f"Mission directory: {report.summary()}")
        if load_demo_events(petition.campaign):
            self.stdout.write("Demo events created.")
        self.stdout.write(f"Demo petition: {settings.SITE_URL}{petition.get_absolute_url()}")

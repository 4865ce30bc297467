from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from safepassage.campaigns.demo import load_demo


class Command(BaseCommand):
    help = "Create or refresh the demo campaign (Save North Korean Refugees Day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        petition = load_demo(options["year"])
        self.stdout.write(f"Demo petition: {settings.SITE_URL}{petition.get_absolute_url()}")

"""manage.py plan_deliveries --campaign SLUG: one planned delivery per open mission."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries


class Command(BaseCommand):
    help = (
        "Create the planned deliveries of a campaign: one for every open mission of its "
        "target government that has none yet. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, help="the campaign's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            campaign = Campaign.objects.get(slug=options["campaign"])
        except Campaign.DoesNotExist:
            raise CommandError(f"no campaign with the slug {options['campaign']!r}") from None
        created = plan_deliveries(campaign)
        total = Delivery.objects.filter(campaign=campaign).count()
        self.stdout.write(f"{created} deliveries planned ({total} in all) for {campaign}")

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.campaigns.models import Campaign
from safepassage.directory import tallies
from safepassage.directory.routing import Router, route_petition


class Command(BaseCommand):
    help = (
        "Route confirmed signatures to their missions. With --all, route every one again "
        "(after a change to the directory); the result is the same however often it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", help="campaign slug (default: every campaign)")
        parser.add_argument("--all", action="store_true", help="re-route already routed ones")

    def handle(self, *args: Any, **options: Any) -> None:
        campaigns = Campaign.objects.all()
        if options["campaign"]:
            campaigns = campaigns.filter(slug=options["campaign"])
            if not campaigns:
                raise CommandError(f"no campaign {options['campaign']!r}")
        for campaign in campaigns:
            router = Router(campaign.target_government)
            if not router.posts:
                self.stderr.write(
                    f"{campaign.slug}: no open missions of {campaign.target_government} in the "
                    "directory; import them first (manage.py import_missions)"
                )
            for petition in campaign.petitions.select_related("campaign"):
                report = route_petition(petition, everything=options["all"], router=router)
                self.stdout.write(f"{petition.slug}: {report.summary()}")
            placement = tallies.placement_report(campaign, limit=20)
            self.stdout.write(
                f"{campaign.slug}: placed by {placement.by_placement}; not placed at a city: "
                f"{placement.not_at_city}; not routed yet: {placement.unrouted}"
            )
            for country, region, city, n in placement.unknown_places:
                self.stdout.write(
                    f"  could not place city {city!r} ({region or '-'}, {country}): {n}"
                )

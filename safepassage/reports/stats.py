"""Refreshing the cached aggregates of campaigns (CampaignStats).

The worker calls refresh_all_stats() every housekeeping round; the task
refresh_campaign_stats refreshes one campaign on demand. Each refresh is a
handful of GROUP BY queries over the campaign's counted signatures (see
directory/tallies.py) and one upsert: idempotent, safe to run concurrently.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Func, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from safepassage.campaigns.models import Campaign
from safepassage.directory import tallies
from safepassage.signatures.counter import confirmed_before, embed_totals, paper_totals
from safepassage.signatures.models import CampaignStats, PaperTally


def _utc_day() -> Func:
    if connection.vendor == "sqlite":
        # SQLite keeps datetimes as UTC text ("YYYY-MM-DD HH:MM:SS..."); TruncDate would call
        # a Python function for each of a million rows, several times slower than this.
        return Substr("confirmed_at", 1, 10)
    return TruncDate("confirmed_at", tzinfo=dt.UTC)


def per_day(campaign: Campaign) -> dict[str, int]:
    """{"YYYY-MM-DD": count} of counted signatures by the UTC date of their confirmation."""
    rows = (
        tallies.counted(campaign)
        .annotate(day=_utc_day())
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    # A date on PostgreSQL, its text on SQLite: the same ISO form either way.
    return {str(day)[:10]: int(n) for day, n in rows if day is not None}


def by_petition(campaign: Campaign, until: dt.datetime) -> dict[str, int]:
    """{petition pk: count} of the signatures confirmed before ``until`` (signatures.counter)."""
    rows = (
        tallies.counted(campaign)
        .filter(confirmed_before(until))
        .values_list("petition_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {str(petition_id): int(n) for petition_id, n in rows}


def paper_signatures(campaign: Campaign) -> int:
    """Legacy paper tallies of the campaign: counts without names, apart (PaperTally)."""
    rows = PaperTally.objects.filter(petition__campaign=campaign)
    return int(rows.aggregate(n=Sum("count"))["n"] or 0)


def breakdown(campaign: Campaign) -> dict[str, dict[str, dict[str, int]]]:
    """Each petition's counted signatures by country and by mission ("" for none)."""
    result: dict[str, dict[str, dict[str, int]]] = {}

    def part(petition_id: int) -> dict[str, dict[str, int]]:
        return result.setdefault(str(petition_id), {"countries": {}, "missions": {}})

    signatures = tallies.counted(campaign)
    for petition_id, country, n in (
        signatures.values_list("petition_id", "country").annotate(n=Count("pk")).order_by()
    ):
        part(petition_id)["countries"][country] = int(n)
    for petition_id, mission_id, n in (
        signatures.values_list("petition_id", "route__mission_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        part(petition_id)["missions"]["" if mission_id is None else str(mission_id)] = int(n)
    return result


def summed(parts: Iterable[dict[str, dict[str, int]]], key: str) -> dict[str, int]:
    """One breakdown over several petitions, largest first (ties by key)."""
    totals: Counter[str] = Counter()
    for part in parts:
        totals.update(part.get(key, {}))
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def refresh_stats(campaign: Campaign) -> CampaignStats:
    """Recount the campaign's counted signatures into its CampaignStats row."""
    until = timezone.now()
    parts = breakdown(campaign)
    countries = summed(parts.values(), "countries")
    missions = {pk: n for pk, n in summed(parts.values(), "missions").items() if pk}
    on_paper, by_collector = paper_totals(campaign.pk)
    values = {
        "breakdown": parts,
        "total": sum(countries.values()),
        "by_country": countries,
        "by_mission": missions,
        "by_petition": by_petition(campaign, until),
        "counted_until": until,
        "per_day": per_day(campaign),
        "countries": sum(1 for n in countries.values() if n > 0),
        "missions_reached": sum(1 for n in missions.values() if n > 0),
        "paper": paper_signatures(campaign),
        "on_paper": on_paper,
        "by_collector": by_collector,
        "by_embed_partner": embed_totals(campaign.pk),
        "refreshed_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            stats, _ = CampaignStats.objects.update_or_create(campaign=campaign, defaults=values)
    except IntegrityError:
        # Another process created the row at the same moment: update that one.
        CampaignStats.objects.filter(campaign=campaign).update(**values)
        stats = CampaignStats.objects.get(campaign=campaign)
    return stats


def campaigns_to_refresh() -> models.QuerySet[Campaign]:
    """Open campaigns, and public campaigns that have no statistics yet (e.g. the archive)."""
    return Campaign.objects.filter(
        models.Q(status=Campaign.Status.OPEN)
        | models.Q(
            status__in=[Campaign.Status.CLOSED, Campaign.Status.ARCHIVED], stats__isnull=True
        )
    ).order_by("pk")


def refresh_all_stats() -> int:
    """Refresh the statistics of every campaign that needs it; returns how many."""
    refreshed = 0
    for campaign in campaigns_to_refresh():
        refresh_stats(campaign)
        refreshed += 1
    return refreshed


def stats_for(campaign: Campaign) -> CampaignStats:
    """The campaign's cached statistics, computed once here if the worker has not yet."""
    stats = CampaignStats.objects.filter(campaign=campaign).first()
    return stats if stats is not None else refresh_stats(campaign)

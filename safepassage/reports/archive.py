"""The same campaign in earlier years: the campaign page's archive and the report's years.

A campaign of another year addressed to the same government, once closed or
archived, is an earlier year of it. Its figures are the ones its cached
CampaignStats kept, so nothing is counted again for the archive.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from safepassage.campaigns.models import Campaign
from safepassage.signatures.models import CampaignStats

PAST_STATUSES = (Campaign.Status.CLOSED, Campaign.Status.ARCHIVED)


def past_campaigns(campaign: Campaign) -> list[dict[str, Any]]:
    """The earlier years of ``campaign``, newest first, with their totals (None: never counted)."""
    past = (
        Campaign.objects.filter(
            target_government=campaign.target_government, status__in=PAST_STATUSES
        )
        .exclude(pk=campaign.pk)
        .exclude(year=campaign.year)
        .select_related("stats")
        .order_by("-year", "title")
    )
    rows = []
    for other in past:
        stats: CampaignStats | None = getattr(other, "stats", None)
        rows.append(
            {
                "campaign": other,
                "href": reverse("reports:campaign", args=[other.slug]),
                "total": stats.grand_total if stats else None,
                "countries": stats.countries if stats else None,
            }
        )
    return rows


def years(campaign: Campaign, total: int, countries: int) -> list[dict[str, Any]]:
    """This campaign (with ``total`` and ``countries``) and its earlier years, oldest first."""
    rows = [
        {
            "year": row["campaign"].year,
            "title": row["campaign"].title,
            "slug": row["campaign"].slug,
            "signatures": row["total"],
            "countries": row["countries"],
            "current": False,
        }
        for row in past_campaigns(campaign)
        if row["campaign"].year < campaign.year
    ]
    rows.append(
        {
            "year": campaign.year,
            "title": campaign.title,
            "slug": campaign.slug,
            "signatures": total,
            "countries": countries,
            "current": True,
        }
    )
    rows.sort(key=lambda row: (row["year"], row["slug"]))
    return rows

"""Background tasks of the reports: refreshing a campaign's cached statistics."""

from __future__ import annotations

from django_tasks import task

from safepassage.campaigns.models import Campaign
from safepassage.reports.stats import refresh_stats


@task()
def refresh_campaign_stats(campaign_id: int) -> dict[str, int]:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return {"total": 0}
    stats = refresh_stats(campaign)
    return {"total": stats.total, "countries": stats.countries, "missions": stats.missions_reached}

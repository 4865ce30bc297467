"""Cached aggregates of a campaign's signatures, read by the public pages.

Counting a million signatures per page view is what the public pages must
never do: the worker refreshes one CampaignStats row per open campaign
(reports.stats.refresh_all_stats, every housekeeping round) and the pages
read only that row.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign


class CampaignStats(models.Model):
    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="stats", verbose_name=_("campaign")
    )
    # Counted online signatures: confirmed and not held for review (tallies.counted).
    total = models.PositiveIntegerField(_("counted signatures"), default=0)
    # {ISO alpha-2: count}
    by_country = models.JSONField(_("signatures by country"), default=dict)
    # {mission pk as a string: count}; signatures not routed to a mission are left out.
    by_mission = models.JSONField(_("signatures by mission"), default=dict)
    # {petition pk as a string: count}: the server-side figure of each petition's counter.
    by_petition = models.JSONField(_("signatures by petition"), default=dict)
    # {"YYYY-MM-DD" (UTC date of confirmation): count}
    per_day = models.JSONField(_("signatures per day"), default=dict)
    countries = models.PositiveIntegerField(_("countries"), default=0)
    missions_reached = models.PositiveIntegerField(_("missions reached"), default=0)
    # Signatures collected on paper, when the signatures app records them (PaperTally).
    paper = models.PositiveIntegerField(_("paper signatures"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign statistics")
        verbose_name_plural = _("campaign statistics")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.total}"

    @property
    def unrouted(self) -> int:
        """Counted signatures not (yet) assigned to a mission."""
        return max(0, self.total - sum(int(n) for n in self.by_mission.values()))

    @property
    def grand_total(self) -> int:
        """Online and paper signatures together."""
        return self.total + self.paper

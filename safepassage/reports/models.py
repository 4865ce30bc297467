"""Cached aggregates of a campaign's signatures, read by the public pages.

Counting a million signatures per page view is what the public pages must
never do: the worker refreshes one CampaignStats row per open campaign
(reports.stats.refresh_all_stats, every housekeeping round) and the pages
read only that row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # {petition pk: {"countries": {ISO alpha-2: count}, "missions": {mission pk or "": count}}};
    # "" counts signatures not routed to a mission. What the API's counts serve.
    breakdown = models.JSONField(_("signatures by petition, country and mission"), default=dict)
    # by_petition counts the signatures confirmed before this moment; the live
    # counter adds those confirmed since (reports.counter).
    counted_until = models.DateTimeField(_("petitions counted until"), null=True, blank=True)
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


class AfterActionReport(models.Model):
    """What happened on the day of action, as the coalition publishes it afterwards.

    Organisers edit the title, the texts and which sections to show while the
    report is a draft; the public sees only ``snapshot``, the whole report
    (texts and figures) frozen when it was published, so later signatures,
    deliveries or edits change nothing the public reads until an organiser
    publishes again. ``snapshot_sha256`` names that frozen state (the PDF
    cache is keyed by it).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="report", verbose_name=_("campaign")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction (Markdown)"), blank=True)
    closing = models.TextField(_("closing text (Markdown)"), blank=True)
    show_map = models.BooleanField(_("show the map of signatures by country"), default=True)
    show_chart = models.BooleanField(_("show the chart of signatures over time"), default=True)
    show_countries = models.BooleanField(_("show the table of countries"), default=True)
    show_missions = models.BooleanField(_("show the table of missions"), default=True)
    show_events = models.BooleanField(_("show the events"), default=True)
    show_photos = models.BooleanField(_("show the published photos"), default=True)
    show_responses = models.BooleanField(_("show refusals and responses"), default=True)
    show_years = models.BooleanField(_("show earlier years"), default=True)
    snapshot = models.JSONField(_("published content"), default=dict, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("after-action report")
        verbose_name_plural = _("after-action reports")
        constraints = [
            models.CheckConstraint(
                name="report_status_valid", condition=Q(status__in=["draft", "published"])
            ),
            # A published report always has something frozen to show.
            models.CheckConstraint(
                name="report_published_has_snapshot",
                condition=Q(status="draft")
                | (Q(published_at__isnull=False) & ~Q(snapshot_sha256="")),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    SECTIONS = (
        "show_map",
        "show_chart",
        "show_countries",
        "show_missions",
        "show_events",
        "show_photos",
        "show_responses",
        "show_years",
    )

    def sections(self) -> dict[str, bool]:
        """The section toggles as they are now (the draft's)."""
        return {name: bool(getattr(self, name)) for name in self.SECTIONS}


class PressKit(models.Model):
    """The campaign's press release and one-page flyer, as organisers write them.

    The texts are Markdown with merge fields (``reports.presskit.MERGE_FIELDS``),
    filled in from the campaign when the PDFs are made; the contacts are
    public by design: they are printed on both documents.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="press_kit", verbose_name=_("campaign")
    )
    press_release_title = models.CharField(_("press release: title"), max_length=200)
    press_release_body = models.TextField(_("press release: text (Markdown)"), blank=True)
    flyer_headline = models.CharField(_("flyer: headline"), max_length=200)
    flyer_body = models.TextField(_("flyer: text (Markdown)"), blank=True)
    contacts = models.TextField(
        _("press contacts"),
        blank=True,
        help_text=_("Name, phone and e-mail, one per line. Printed on both documents."),
    )
    letterhead = models.ForeignKey(
        "letters.Letterhead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("letterhead"),
    )
    published = models.BooleanField(
        _("published on the campaign page"),
        default=False,
        help_text=_(
            "Journalists and volunteers can then download both PDFs from the campaign's "
            "public page. The contacts are printed on them."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("press kit")
        verbose_name_plural = _("press kits")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.press_release_title}"

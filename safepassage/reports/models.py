"""The after-action report and the press kit of a campaign.

The cached aggregates the public pages read (``CampaignStats``) live with the
signatures (signatures/models.py): the signing page and routing read them too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign


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

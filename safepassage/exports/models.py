"""The audit trail of exports and imports, and uploads waiting for their column mapping."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign, Petition


class ExportLog(models.Model):
    """Who took which data out (or put signatures in), when, and how many rows.

    Written before the first byte of an export is sent, so an aborted download
    is audited too; ``finished_at`` stays empty until the last row went out.
    """

    class Kind(models.TextChoices):
        SIGNATURES = "signatures", _("signatures (without e-mail addresses)")
        CONTACTS = "contacts", _("contacts who agreed to be contacted")
        PAPER = "paper", _("paper signatures without e-mail")
        EVENTS = "events", _("events and RSVP counts")
        DELIVERIES = "deliveries", _("deliveries")
        IMPORT = "import", _("import of signatures")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="export_logs", verbose_name=_("campaign")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("what"), max_length=12, choices=Kind)
    format = models.CharField(_("format"), max_length=4, choices=Format)
    rows = models.PositiveIntegerField(_("rows"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        constraints = [
            models.CheckConstraint(
                name="exportlog_kind_valid",
                condition=Q(
                    kind__in=["signatures", "contacts", "paper", "events", "deliveries", "import"]
                ),
            ),
            models.CheckConstraint(
                name="exportlog_format_valid", condition=Q(format__in=["csv", "json"])
            ),
        ]
        # The admin lists a campaign's entries newest first.
        indexes = [models.Index(fields=["campaign", "created_at"], name="exportlog_campaign_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class ImportUpload(models.Model):
    """An uploaded CSV between upload and import, encrypted (it may hold addresses).

    Deleted when its import ran; leftovers older than a day are deleted by the
    next upload (uploads.UPLOAD_HOURS).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("uploaded list")
        verbose_name_plural = _("uploaded lists")

    def __str__(self) -> str:
        return self.filename

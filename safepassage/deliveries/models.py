"""Handing the petition to each mission, the proof of it, and the mission's reply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from safepassage.campaigns.models import Campaign


class Delivery(models.Model):
    """One campaign's delivery to one mission; every change is kept in its history."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("delivery status", "planned")
        IN_PERSON = "in_person", _("delivered in person")
        POSTED = "posted", _("posted")
        FAXED = "faxed", _("faxed")
        EMAILED = "emailed", _("e-mailed")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    DONE = (Status.IN_PERSON, Status.POSTED, Status.FAXED, Status.EMAILED)

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    mission = models.ForeignKey(
        "directory.Mission", on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLANNED)
    delivered_by = models.CharField(_("delivered by"), max_length=200, blank=True)
    delivered_at = models.DateTimeField(_("when"), null=True, blank=True)
    received_by = models.CharField(
        _("received by (name or title of the official)"), max_length=200, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    packet_sha256 = models.CharField(_("packet handed over (sha256)"), max_length=64, blank=True)
    # E-mail delivery: the outbox message that carried the packet (sent once).
    message = models.OneToOneField(
        "outbox.Message",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "mission"], name="delivery_once_per_mission"
            ),
            models.CheckConstraint(
                name="delivery_status_valid",
                condition=Q(
                    status__in=[
                        "planned",
                        "in_person",
                        "posted",
                        "faxed",
                        "emailed",
                        "refused",
                        "failed",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="delivery_done_has_time",
                condition=Q(status__in=["planned", "failed"]) | Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mission} · {self.get_status_display()}"


class Evidence(models.Model):
    """A photo or scanned receipt; images lose their location metadata on upload."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        RECEIPT = "receipt", _("receipt or scan")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    file = models.FileField(_("file"), upload_to="evidence/%Y/")
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    publish = models.BooleanField(_("may be shown in the public report"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.delivery}"


class Response(models.Model):
    """A mission's reply to the petition."""

    class Channel(models.TextChoices):
        LETTER = "letter", _("letter")
        EMAIL = "email", _("e-mail")
        IN_PERSON = "in_person", _("in person")
        PHONE = "phone", _("phone")
        PUBLIC = "public", _("public statement")
        OTHER = "other", _("other")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="responses")
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    summary = models.TextField(_("summary"))
    scan = models.FileField(_("scan"), upload_to="responses/%Y/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.received_on}"

"""Webhooks: the endpoints organisers register per campaign, and what was sent to them.

An ``Endpoint`` is an HTTPS address of a partner's system with the events it
wants and its signing secret (stored encrypted with the application's keys,
lib/crypto.py, shown once when the endpoint is made). A ``Delivery`` is one
event for one endpoint: its JSON payload (counts and places, never a name or
an address: docs/privacy.md), its event id (the same on every attempt and
replay, for the receiver's idempotency) and where it stands. Each HTTP
request is an ``Attempt``: the status code, the time it took, the error, and
at most the first ``RESPONSE_PREFIX`` characters of the answer.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.campaigns.models import Campaign

# The most of an endpoint's answer that is kept (for the organiser to see what went wrong).
RESPONSE_PREFIX = 200
ERROR_LENGTH = 300


class Event(models.TextChoices):
    SIGNATURE_CONFIRMED = "signature.confirmed", _("a signature was confirmed")
    RSVP_CONFIRMED = "rsvp.confirmed", _("an RSVP was confirmed")
    DELIVERY_RECORDED = "delivery.recorded", _("a delivery was recorded")
    REPORT_PUBLISHED = "report.published", _("the after-action report was published")


class Endpoint(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("campaign")
    )
    url = models.URLField(_("address (https://)"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # A list of Event values.
    events = models.JSONField(pgettext_lazy("webhook", "events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["campaign", "pk"]

    def __str__(self) -> str:
        return self.url

    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [str(labels.get(e, e)) for e in self.events]


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "waiting")
        RETRYING = "retrying", _("waiting to try again")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery", "delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "failed")

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event = models.CharField(pgettext_lazy("webhook", "event"), max_length=30, choices=Event)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(
        pgettext_lazy("webhook delivery", "delivered"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once"),
            models.CheckConstraint(
                name="webhook_delivery_status_valid",
                condition=Q(status__in=["pending", "retrying", "delivered", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=ERROR_LENGTH, blank=True)
    response_prefix = models.CharField(
        _("start of the answer"), max_length=RESPONSE_PREFIX, blank=True
    )
    replay = models.BooleanField(_("replay"), default=False)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["delivery", "pk"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

"""Updates that organisers send to the supporters who asked for them.

An ``Update`` is written once per campaign and audience, with a text per
language (``UpdateText``); sending it queues one outbox Message per
recipient (``UpdateRecipient`` ties the two), each referring to the
signature or RSVP it goes to and carrying only the encrypted address the
signature or RSVP already holds: the address is decrypted by the mail sender
alone. ``Unsubscribe`` is the audit trail of the one-click unsubscribe links.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign
from safepassage.events.models import Event
from safepassage.outbox.models import Message


class Update(models.Model):
    class Audience(models.TextChoices):
        # "Contact me" includes updates: both choices asked for mail about the campaign.
        UPDATES = "updates", _("signers who asked for updates (or for contact)")
        CONTACT = "contact", _("signers who let the coalition contact them")
        RSVPS = "rsvps", _("people coming to an event who agreed to be contacted")
        COORDINATORS = "coordinators", _("the campaign's city coordinators")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        # Sent: a background task is putting its messages into the outbox (updates/tasks.py).
        QUEUING = "queuing", _("being put into the outbox")
        QUEUED = "queued", _("sent to the outbox")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="updates", verbose_name=_("campaign")
    )
    audience = models.CharField(
        _("audience"), max_length=12, choices=Audience, default=Audience.UPDATES
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event"),
    )
    default_language = models.CharField(
        _("language for everyone else"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Recipients whose language has no text get the text in this language."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    # While queuing: the primary key of the last signature, RSVP or account queued.
    cursor = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="update_audience_valid",
                condition=Q(audience__in=["updates", "contact", "rsvps", "coordinators"]),
            ),
            models.CheckConstraint(
                name="update_status_valid",
                condition=Q(status__in=["draft", "queuing", "queued"]),
            ),
            # RSVP-ers are those of one event; no other audience names one.
            models.CheckConstraint(
                name="update_event_only_for_rsvps",
                condition=Q(audience="rsvps") | Q(event__isnull=True),
            ),
            models.CheckConstraint(
                name="update_queued_has_time",
                condition=Q(status="draft") | Q(queued_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        text = self.texts.first()
        return text.subject if text else f"#{self.pk}"

    def text(self, language: str) -> UpdateText | None:
        """The text in this language, else its base language, else the default, else any."""
        texts = {t.language: t for t in self.texts.all()}
        for candidate in (language, language.split("-")[0], self.default_language):
            if candidate in texts:
                return texts[candidate]
        return next(iter(texts.values()), None)


class UpdateText(models.Model):
    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text (Markdown)"))

    class Meta:
        verbose_name = _("text of an update")
        verbose_name_plural = _("texts of updates")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["update", "language"], name="update_text_once"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.subject}"


class UpdateRecipient(models.Model):
    """One outbox message of an update; for a coordinator (or a test) also the account."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A test sent by an organiser to themselves: not in the progress.
    test = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("recipient of an update")
        verbose_name_plural = _("recipients of updates")

    def __str__(self) -> str:
        return f"{self.update_id}:{self.message_id}"


class Unsubscribe(models.Model):
    """Audit trail: someone used the unsubscribe link of an update (no address, no name)."""

    class Kind(models.TextChoices):
        SIGNATURE = "signature", _("signer")
        RSVP = "rsvp", _("person coming to an event")
        COORDINATOR = "coordinator", _("coordinator")

    class Via(models.TextChoices):
        ONE_CLICK = "one-click", _("one-click (mail program)")
        PAGE = "page", _("the page of the link")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind)
    # The signature's, RSVP's or account's primary key (kept when the row is erased: a number).
    ref = models.PositiveIntegerField()
    # Coordinators are left out of later updates of the campaign by this row.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    previous = models.CharField(_("previous choice"), max_length=10, blank=True)
    via = models.CharField(max_length=10, choices=Via)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="unsubscribe_kind_valid",
                condition=Q(kind__in=["signature", "rsvp", "coordinator"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.ref} ({self.at:%Y-%m-%d})"

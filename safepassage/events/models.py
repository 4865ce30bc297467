"""The day of action: events, the RSVPs to them, and the remembrance list."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.campaigns.models import Campaign, Organisation, validate_country_code
from safepassage.lib.localised import ShownInLanguages, localised_copy, written_for


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not an IANA time zone."), params={"value": value})


class Event(ShownInLanguages):
    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("petition delivery")
        PROTEST = "protest", _("protest")
        VIGIL = "vigil", _("vigil")
        DEMONSTRATION = "demonstration", _("demonstration")
        SOLIDARITY = "solidarity", _("solidarity event")
        OTHER = "other", _("other")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public: listed")
        UNLISTED = "unlisted", _("unlisted: only with the link")

    class AddressVisibility(models.TextChoices):
        PUBLIC = "public", _("shown to everyone")
        RSVP = "rsvp", _("shown only to confirmed RSVPs")

    class Status(models.TextChoices):
        # A draft is seen by the team only: not listed, not reachable by its link, no RSVPs
        # (next year's campaign starts with its events as drafts, core/rollover.py).
        DRAFT = "draft", _("draft (team only)")
        PLANNED = "planned", pgettext_lazy("event status", "planned")
        CONFIRMED = "confirmed", pgettext_lazy("event status", "confirmed")
        CANCELLED = "cancelled", pgettext_lazy("event status", "cancelled")
        HELD = "held", pgettext_lazy("event status", "held")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country_code])
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    mission = models.ForeignKey(
        "directory.Mission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("mission"),
    )
    host = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("host organisation"),
    )
    contact = models.CharField(_("public contact"), max_length=200, blank=True)
    # Stored in UTC; entered and shown in the event's own time zone.
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=60, validators=[validate_time_zone])
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    visibility = models.CharField(
        _("listing"), max_length=10, choices=Visibility, default=Visibility.PUBLIC
    )
    address_visibility = models.CharField(
        _("address shown"),
        max_length=10,
        choices=AddressVisibility,
        default=AddressVisibility.PUBLIC,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLANNED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                name="event_kind_valid",
                condition=Q(
                    kind__in=[
                        "delivery",
                        "protest",
                        "vigil",
                        "demonstration",
                        "solidarity",
                        "other",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="event_status_valid",
                condition=Q(status__in=["draft", "planned", "confirmed", "cancelled", "held"]),
            ),
            models.CheckConstraint(
                name="event_visibility_valid", condition=Q(visibility__in=["public", "unlisted"])
            ),
            models.CheckConstraint(
                name="event_address_visibility_valid",
                condition=Q(address_visibility__in=["public", "rsvp"]),
            ),
            models.CheckConstraint(
                name="event_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="event_coordinates_pair",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["campaign", "starts_at"], name="event_campaign_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.city})"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    def local_end(self) -> datetime | None:
        return self.ends_at.astimezone(self.zone) if self.ends_at else None

    def in_language(self, language: str | None) -> Event:
        """The event as a reader of ``language`` sees it: a read-only copy with the title and
        description written for that language (EventText), or itself when none is."""
        return localised_copy(self, written_for(self.texts.all(), language), EVENT_TEXT_FIELDS)

    def missing_languages(self) -> list[str]:
        """The site's languages with no title written for the event yet (its campaign's own
        language is the event's own)."""
        written = {text.language for text in self.texts.all()} | {self.campaign.own_language()}
        return [code for code, _name in settings.LANGUAGES if code not in written]


EVENT_TEXT_FIELDS = ("title", "description")


class EventText(models.Model):
    """An event's title and description in one more language than its own."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("event title in another language")
        verbose_name_plural = _("event titles in other languages")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "language"], name="event_text_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"


class RSVP(models.Model):
    """Someone coming to an event. Like a signature: e-mail only as a keyed hash,
    plus an encrypted copy only while it is needed (or if they agreed to be contacted)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for e-mail confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("RSVP status", "confirmed")
        CANCELLED = "cancelled", pgettext_lazy("RSVP status", "cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    name = models.CharField(_("name"), max_length=200)
    email_hash = models.CharField(max_length=64, editable=False)
    email_encrypted = models.TextField(blank=True, editable=False)
    people = models.PositiveSmallIntegerField(_("number of people"), default=1)
    contact_ok = models.BooleanField(_("may be contacted about this event"), default=False)
    consent_version = models.CharField(max_length=20)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [
            models.UniqueConstraint(fields=["event", "email_hash"], name="rsvp_one_per_person"),
            models.CheckConstraint(
                name="rsvp_status_valid",
                condition=Q(status__in=["pending", "confirmed", "cancelled"]),
            ),
            models.CheckConstraint(name="rsvp_people_positive", condition=Q(people__gte=1)),
            models.CheckConstraint(
                name="rsvp_email_only_with_consent",
                condition=Q(email_encrypted="") | Q(contact_ok=True),
            ),
        ]

    def __str__(self) -> str:
        return f"RSVP #{self.pk} to {self.event_id}"


class RemembranceName(models.Model):
    """A person forcibly returned, to be remembered (and read aloud if public)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="remembrance")
    name = models.CharField(_("name as it should be read"), max_length=200)
    native_name = models.CharField(_("name in native script"), max_length=200, blank=True)
    date = models.CharField(_("date, if known"), max_length=40, blank=True)
    place = models.CharField(_("place, if known"), max_length=200, blank=True)
    source = models.TextField(_("source"), blank=True)
    public = models.BooleanField(_("may be read in public"), default=False)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("remembered person")
        verbose_name_plural = _("remembrance list")

    def __str__(self) -> str:
        return self.name


class ReadingScript(models.Model):
    """The organiser's opening and closing words for a vigil's reading of names."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="reading_script"
    )
    opening = models.TextField(_("opening words"), blank=True)
    closing = models.TextField(_("closing words"), blank=True)

    class Meta:
        verbose_name = _("reading script")
        verbose_name_plural = _("reading scripts")

    def __str__(self) -> str:
        return str(self.campaign)

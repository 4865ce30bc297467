"""The directory of a government's embassies, consulates and other missions.

Every row carries its source. Organisers edit it in the admin; every change,
from the admin or an import, is kept in the history tables.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from safepassage.campaigns.models import validate_country_code
from safepassage.lib import geo
from safepassage.lib.localised import ShownInLanguages, localised_copy, written_for
from safepassage.signatures.models import Signature


def validate_area_code(value: str) -> None:
    """An ISO 3166-1 alpha-2 country or an ISO 3166-2 subdivision code."""
    if value in geo.country_codes() or geo.is_subdivision_code(value):
        return
    raise ValidationError(
        _("%(value)s is neither an ISO 3166-1 country nor an ISO 3166-2 subdivision code."),
        params={"value": value},
    )


PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def validate_partial_date(value: str) -> None:
    """YYYY, YYYY-MM or YYYY-MM-DD."""
    if value and not PARTIAL_DATE.match(value):
        raise ValidationError(
            _("%(value)s is not a date (YYYY, YYYY-MM or YYYY-MM-DD)."), params={"value": value}
        )


# Countries whose addresses write the postcode after the city ("Toronto ON M5V 1A1").
_POSTCODE_AFTER_CITY = frozenset(
    {"AU", "BR", "CA", "GB", "IE", "IN", "KR", "NZ", "SG", "TW", "US", "ZA"}
)


def _compact(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text).casefold()


class MissionQuerySet(models.QuerySet["Mission"]):
    def open(self) -> MissionQuerySet:
        return self.filter(status=Mission.Status.OPEN)

    def of(self, sending_state: str) -> MissionQuerySet:
        return self.filter(sending_state=sending_state)

    def routable(self) -> MissionQuerySet:
        """Open missions that serve places (permanent missions serve organisations)."""
        return self.open().exclude(kind=Mission.Kind.PERMANENT_MISSION)


class Mission(ShownInLanguages):
    class Kind(models.TextChoices):
        EMBASSY = "embassy", _("embassy")
        CONSULATE_GENERAL = "consulate_general", _("consulate-general")
        CONSULATE = "consulate", _("consulate")
        PERMANENT_MISSION = "permanent_mission", _("permanent mission")
        OFFICE = "office", _("office")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    # Stable identity across imports: a Wikidata id where there is one, else a slug.
    key = models.CharField(_("stable id"), max_length=100, unique=True)
    sending_state = models.CharField(
        _("sending state"), max_length=2, validators=[validate_country_code]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    name = models.CharField(_("name"), max_length=300)
    host_country = models.CharField(
        _("host country"), max_length=2, validators=[validate_country_code]
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=80, blank=True)
    fax = models.CharField(_("fax"), max_length=80, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    # ISO 8601 dates, as precise as the source: 1973, 2007-08 or 2020-07-24.
    opened = models.CharField(
        _("opened"), max_length=10, blank=True, validators=[validate_partial_date]
    )
    closed = models.CharField(
        _("closed"), max_length=10, blank=True, validators=[validate_partial_date]
    )
    source = models.TextField(_("source"), help_text=_("URLs or dataset the values come from."))
    source_date = models.DateField(_("date of the source"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Filled from accepted proposals (directory/verification.py).
    delivery_hours = models.TextField(_("opening hours for deliveries"), blank=True)
    accessibility = models.TextField(_("accessibility notes for a vigil"), blank=True)
    last_verified = models.DateField(_("last verified"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MissionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["sending_state", "host_country", "kind", "city", "name"]
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        constraints = [
            models.CheckConstraint(
                name="mission_kind_valid",
                condition=Q(
                    kind__in=[
                        "embassy",
                        "consulate_general",
                        "consulate",
                        "permanent_mission",
                        "office",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="mission_status_valid", condition=Q(status__in=["open", "closed"])
            ),
            models.CheckConstraint(
                name="mission_open_not_closed",
                condition=Q(status="closed") | Q(closed=""),
            ),
            models.CheckConstraint(
                name="mission_coordinates_pair",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
            ),
            models.CheckConstraint(name="mission_sourced", condition=~Q(source="")),
        ]
        indexes = [
            models.Index(fields=["sending_state", "status"], name="mission_state_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def in_language(self, language: str | None) -> Mission:
        """The mission as a reader of ``language`` sees it: a read-only copy named as the
        directory names it in that language (MissionName), or itself."""
        return localised_copy(self, written_for(self.names.all(), language), ("name",))

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def address_lines(self) -> list[str]:
        """The postal address, with the postcode once: added only where it is not written.

        Many addresses already carry their postcode ("Chicago, IL 60610"); the
        separate field then adds nothing. Where it is missing, it goes on a line
        with the city, after it or before it as the host country writes them.
        """
        lines = [line.strip() for line in self.postal_address.splitlines() if line.strip()]
        code = self.postcode.strip()
        if not code or _compact(code) in _compact(" ".join(lines)):
            return lines if lines else [self.city] if self.city else []
        written = " ".join(lines).casefold()
        city = self.city if self.city and self.city.casefold() not in written else ""
        parts = (city, code) if self.host_country in _POSTCODE_AFTER_CITY else (code, city)
        return [*lines, " ".join(part for part in parts if part)]

    def address_block(self) -> str:
        """The lines to write on an envelope, ending with the host country."""
        lines = [self.name, *self.address_lines()]
        lines.append(geo.country_name(self.host_country).upper())
        return "\n".join(line for line in lines if line)


class MissionArea(models.Model):
    """A place a mission is responsible for.

    A consular district is a set of subdivisions or whole countries; an
    embassy may also be accredited to countries where its state has no post.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("consular district")
        ACCREDITATION = "accreditation", _("concurrent accreditation")

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="areas")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind)
    code = models.CharField(_("ISO 3166 code"), max_length=10, validators=[validate_area_code])
    source = models.TextField(_("source"), blank=True)
    source_date = models.DateField(_("date of the source"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["mission", "kind", "code"]
        verbose_name = _("area served")
        verbose_name_plural = _("areas served")
        constraints = [
            models.UniqueConstraint(fields=["mission", "kind", "code"], name="mission_area_once"),
            models.CheckConstraint(
                name="mission_area_kind_valid",
                condition=Q(kind__in=["district", "accreditation"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_kind_display()})"


class SignatureRoute(models.Model):
    """The mission a confirmed signature is routed to, and how its place was found.

    A table of its own, not columns of the signature: routing a million
    signers writes a million of these narrow rows, where updating the wide
    signature row (thirteen indexes) cost four times the routing target on
    PostgreSQL (docs/performance.md, "Routing"). A confirmed signature without
    a route is waiting for the next routing sweep (``routing.route_pending``).
    """

    class Placement(models.TextChoices):
        """How precisely the signer's place was found when routing."""

        CITY = "city", _("city")
        REGION = "region", _("state or province centre")
        COUNTRY = "country", _("country centre")
        NONE = "none", _("could not place")

    signature = models.OneToOneField(
        Signature, on_delete=models.CASCADE, primary_key=True, related_name="route"
    )
    # Null only when the place could not be routed at all (placement "none"). A
    # mission deleted takes its routes with it: its signers are routed again.
    mission = models.ForeignKey(
        Mission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routes",
        verbose_name=_("mission"),
    )
    placement = models.CharField(_("placed by"), max_length=8, choices=Placement)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        constraints = [
            models.CheckConstraint(
                name="route_placement_valid",
                condition=Q(placement__in=["city", "region", "country", "none"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} → {self.mission_id} ({self.placement})"


def mission_of(signature: Signature) -> Mission | None:
    """The mission the signature is routed to; None while unrouted or unplaceable.

    Select ``route__mission`` with the signature to spare a query per row.
    """
    try:
        return signature.route.mission
    except SignatureRoute.DoesNotExist:
        return None


@receiver(pre_delete, sender=Mission)
@receiver(post_save, sender=Mission)
def _reroute_when_gone(sender: type[Mission], instance: Mission, **kwargs: object) -> None:
    """A mission deleted, closed or made a permanent mission no longer serves places:
    its signatures lose their route and the next sweep routes them again."""
    gone = kwargs.get("signal") is pre_delete or (
        instance.status != Mission.Status.OPEN or instance.kind == Mission.Kind.PERMANENT_MISSION
    )
    if gone:
        SignatureRoute.objects.filter(mission=instance).delete()


# The proposals and per-field verifications live in their own module.
from safepassage.directory.proposals import (  # noqa: E402, F401
    DirectoryNotice,
    MissionFieldVerification,
    Proposal,
    ProposedValue,
)


class MissionName(models.Model):
    """A mission's name in one more language (Mission.name is the directory's own)."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="names")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=300)

    class Meta:
        ordering = ["mission", "language"]
        verbose_name = _("name in another language")
        verbose_name_plural = _("names in other languages")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "language"], name="mission_name_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"


@receiver([post_save, post_delete], sender=MissionName)
def _names_change_the_mission(
    sender: type[MissionName], instance: MissionName, **kwargs: object
) -> None:
    """A new name changes what the lists show: their caches follow Mission.updated_at."""
    Mission.objects.filter(pk=instance.mission_id).update(updated_at=timezone.now())

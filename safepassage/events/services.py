"""Events and RSVPs: what is public, local times, the RSVP double opt-in, expiry.

An RSVP is handled like a signature (see signatures/services.py): the
address is canonicalised and stored only as a keyed hash under a unique
constraint (one RSVP per person per event); an encrypted copy is kept only
if the person agreed to be contacted about the event; the confirmation mail's
recipient lives, encrypted, in the outbox until the mail is sent. A second
RSVP with the same address changes nothing the visitor can see: the existing
RSVP is mailed its links again.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from safepassage.campaigns.models import Campaign
from safepassage.events.models import RSVP, Event
from safepassage.events.signals import rsvp_confirmed
from safepassage.lib import crypto, links
from safepassage.lib.emails import CanonicalEmail, email_hash
from safepassage.lib.geo import gazetteer, svgmap
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders

logger = logging.getLogger(__name__)

# Bump when the wording of the RSVP form's consent choices changes.
RSVP_CONSENT_VERSION = "2026-rsvp-a"
# Unconfirmed RSVPs are deleted after this many days (expire_pending_rsvps).
PENDING_DAYS = 7
MAX_PEOPLE = 20


# --- What the public sees ------------------------------------------------------


def public_campaign(slug: str) -> Campaign | None:
    """A campaign whose events may be shown: any but a draft."""
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).filter(slug=slug).first()


def visible_event(event_uuid: uuid.UUID) -> Event | None:
    """An event reachable by its link (listed or unlisted, not a draft) in a non-draft campaign."""
    return (
        Event.objects.select_related("campaign", "host", "mission")
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .exclude(status=Event.Status.DRAFT)
        .filter(uuid=event_uuid)
        .first()
    )


def listed_events(campaign: Campaign) -> QuerySet[Event]:
    """The events on the campaign's list, map and feeds: public ones, cancelled included."""
    return (
        Event.objects.filter(campaign=campaign, visibility=Event.Visibility.PUBLIC)
        .exclude(status=Event.Status.DRAFT)
        .select_related("host", "mission")
        .order_by("starts_at", "pk")
    )


def address_public(event: Event) -> bool:
    return event.address_visibility == Event.AddressVisibility.PUBLIC


def confirmed_people(event: Event) -> int:
    """How many people confirmed RSVPs bring (the only RSVP figure shown in public)."""
    total = event.rsvps.filter(status=RSVP.Status.CONFIRMED).aggregate(n=Sum("people"))["n"]
    return int(total or 0)


def people_by_event(events: Iterable[Event]) -> dict[int, int]:
    ids = [event.pk for event in events]
    rows = (
        RSVP.objects.filter(event_id__in=ids, status=RSVP.Status.CONFIRMED)
        .values("event_id")
        .annotate(n=Sum("people"))
        .values_list("event_id", "n")
    )
    return {event_id: int(n or 0) for event_id, n in rows}


def remaining_capacity(event: Event) -> int | None:
    """Places left for confirmed RSVPs, or None when the event has no limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - confirmed_people(event))


def is_over(event: Event, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (event.ends_at or event.starts_at) <= now


def rsvp_open(event: Event, now: datetime | None = None) -> bool:
    """Whether people may still RSVP (and confirm their RSVP)."""
    if event.status in (Event.Status.DRAFT, Event.Status.CANCELLED, Event.Status.HELD):
        return False
    if event.campaign.status not in (Campaign.Status.OPEN, Campaign.Status.CLOSED):
        return False
    return not is_over(event, now)


def map_position(event: Event) -> tuple[float, float] | None:
    """Where to put the event on a map.

    The stored coordinates when the address is public; otherwise, or when
    there are none, the city's centre from the gazetteer, so an event whose
    address is for confirmed RSVPs only is not pinned to its venue.
    """
    if address_public(event) and event.latitude is not None and event.longitude is not None:
        return event.latitude, event.longitude
    place = gazetteer.locate(event.country, event.city)
    if place.precision == "city" and place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude
    return None


# --- Local times -----------------------------------------------------------------

_DATE_FORMATS = {
    "ko": "Y년 n월 j일 l, H:i",
    "ja": "Y年n月j日 l H:i",
    "zh-hans": "Y年n月j日 l H:i",
}
_DEFAULT_FORMAT = "l j F Y, H:i"


def _time_format(language: str | None) -> str:
    return _DATE_FORMATS.get((language or "en").lower(), _DEFAULT_FORMAT)


def format_in_zone(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """ "Thursday 24 September 2026, 20:00 EDT (America/New_York)", in the active language."""
    local = moment.astimezone(zone)
    text = dateformat.format(local, _time_format(translation.get_language()))
    return f"{text} {local.tzname()} ({zone.key})"


def format_span(event: Event, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """The event's start and end in ``zone`` (default: the event's own zone)."""
    zone = zone or event.zone
    start = format_in_zone(event.starts_at, zone)
    if event.ends_at is None:
        return start
    local_start = event.starts_at.astimezone(zone)
    local_end = event.ends_at.astimezone(zone)
    if local_end.date() == local_start.date():
        end = f"{local_end:%H:%M} {local_end.tzname()}"
        return f"{start} \u2013 {end}"
    return f"{start} \u2013 {format_in_zone(event.ends_at, zone)}"


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def local_to_utc(naive: datetime, zone_name: str) -> datetime:
    """An aware UTC instant for a wall-clock time in ``zone_name``.

    Raises ValueError for a time the clocks skip (e.g. 02:30 on the night
    summer time starts). A time that occurs twice (the night it ends) is
    taken at its first occurrence, still on summer time.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    aware = naive.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(zoneinfo.ZoneInfo("UTC"))
    if instant.astimezone(zone).replace(tzinfo=None) != naive.replace(fold=0):
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {zone_name}")
    return instant


# --- Links in mail ------------------------------------------------------------------

PURPOSES = ("confirm", "cancel", "view")


def link_token(purpose: str, rsvp_uuid: uuid.UUID | str) -> str:
    """An HMAC of the RSVP's random UUID under SECRET_KEY, as for signatures' links."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return links.make_token("safepassage.events.rsvp", purpose, rsvp_uuid)


def check_link_token(purpose: str, rsvp_uuid: uuid.UUID | str, token: str) -> bool:
    return links.check_token("safepassage.events.rsvp", purpose, rsvp_uuid, token)


def link(purpose: str, rsvp: RSVP) -> str:
    """The path of an RSVP's confirm, cancel or own page link."""
    token = link_token(purpose, rsvp.uuid)
    if purpose == "view":
        return reverse("events:rsvp_page", args=[rsvp.uuid, token])
    return reverse(f"events:rsvp_{purpose}", args=[rsvp.uuid, token])


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- The RSVP workflow ---------------------------------------------------------------


@dataclass(frozen=True)
class RSVPRequest:
    """A valid RSVP form: who, how many, what they agreed to."""

    name: str
    raw_email: str
    canonical: CanonicalEmail
    people: int
    contact_ok: bool
    language: str


def _queue_mail(rsvp: RSVP, raw_email: str, language: str) -> Message:
    message = Message.objects.create(
        kind=Message.Kind.RSVP_CONFIRM,
        rsvp=rsvp,
        recipient_encrypted=crypto.encrypt(raw_email),
        language=language,
    )
    wake_senders()
    return message


def _mailed_recently(rsvp: RSVP) -> bool:
    if not settings.REPEAT_MAIL_MINUTES:
        return False
    since = timezone.now() - timedelta(minutes=settings.REPEAT_MAIL_MINUTES)
    return Message.objects.filter(rsvp=rsvp, created_at__gte=since).exists()


def submit(event: Event, request: RSVPRequest) -> None:
    """Store a new pending RSVP and queue its confirmation mail.

    If this person already RSVPed to the event, nothing is created: the
    existing RSVP is mailed its links again (at most once per
    REPEAT_MAIL_MINUTES). A cancelled RSVP is opened again as a new pending
    one with the details just given, to be confirmed from the mail. The
    caller shows the same page in every case.
    """
    digest = email_hash(request.canonical, settings.SIGNER_HASH_KEY)
    encrypted = crypto.encrypt(request.raw_email) if request.contact_ok else ""
    fields: dict[str, Any] = {
        "name": request.name,
        "people": request.people,
        "contact_ok": request.contact_ok,
        "email_encrypted": encrypted,
        "consent_version": RSVP_CONSENT_VERSION,
        "language": request.language,
    }
    with transaction.atomic():
        existing = RSVP.objects.select_for_update().filter(event=event, email_hash=digest).first()
        if existing is None:
            try:
                with transaction.atomic():
                    rsvp = RSVP.objects.create(event=event, email_hash=digest, **fields)
            except IntegrityError:
                # A concurrent request for the same person won (PostgreSQL).
                existing = RSVP.objects.select_for_update().get(event=event, email_hash=digest)
            else:
                _queue_mail(rsvp, request.raw_email, request.language)
                logger.info("RSVP %s to event %s created", rsvp.pk, event.pk)
                return
        if existing.status == RSVP.Status.CANCELLED:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.status = RSVP.Status.PENDING
            existing.created_at = timezone.now()
            existing.confirmed_at = None
            existing.save()
            _queue_mail(existing, request.raw_email, existing.language)
            logger.info("cancelled RSVP %s opened again", existing.pk)
        elif not _mailed_recently(existing):
            _queue_mail(existing, request.raw_email, existing.language)
            logger.info("RSVP %s mailed its links again", existing.pk)


class Outcome(Enum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # confirmed before
    FULL = "full"  # not enough places left
    CLOSED = "closed"  # the event was cancelled, is over, or the RSVP was cancelled


def confirm(rsvp: RSVP, now: datetime | None = None) -> Outcome:
    """Confirm a pending RSVP if the event still has room for its people.

    The event row is locked while the places are counted, so two RSVPs
    confirmed at once cannot both take the last places.
    """
    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("campaign").get(pk=rsvp.event_id)
        current = RSVP.objects.select_for_update().get(pk=rsvp.pk)
        if current.status == RSVP.Status.CONFIRMED:
            return Outcome.ALREADY
        if current.status != RSVP.Status.PENDING or not rsvp_open(event, now):
            return Outcome.CLOSED
        left = remaining_capacity(event)
        if left is not None and current.people > left:
            return Outcome.FULL
        current.status = RSVP.Status.CONFIRMED
        current.confirmed_at = timezone.now()
        current.save(update_fields=["status", "confirmed_at"])
        rsvp_confirmed.send(
            RSVP, campaign_id=event.campaign_id, event_id=event.pk, rsvp_id=current.pk
        )
    rsvp.status, rsvp.confirmed_at = current.status, current.confirmed_at
    logger.info("RSVP %s confirmed", rsvp.pk)
    return Outcome.CONFIRMED


def withhold_mail(rsvp_ids: Sequence[int]) -> None:
    """Cancel unsent mail about these RSVPs and wipe its recipients."""
    Message.objects.filter(rsvp_id__in=rsvp_ids, status__in=Message.PENDING_STATUSES).update(
        status=Message.Status.WITHHELD, recipient_encrypted=""
    )


def cancel(rsvp: RSVP) -> bool:
    """Cancel an RSVP (pending or confirmed); its stored address goes with it."""
    with transaction.atomic():
        updated = RSVP.objects.filter(
            pk=rsvp.pk, status__in=[RSVP.Status.PENDING, RSVP.Status.CONFIRMED]
        ).update(status=RSVP.Status.CANCELLED, email_encrypted="", contact_ok=False)
        withhold_mail([rsvp.pk])
    if updated:
        rsvp.status = RSVP.Status.CANCELLED
        logger.info("RSVP %s cancelled", rsvp.pk)
    return updated == 1


def expire_pending_rsvps(now: datetime | None = None, days: int = PENDING_DAYS) -> int:
    """Delete RSVPs not confirmed within ``days`` days, with their unsent mail."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    while True:
        ids = list(
            RSVP.objects.filter(status=RSVP.Status.PENDING, created_at__lt=cutoff).values_list(
                "pk", flat=True
            )[:1000]
        )
        if not ids:
            break
        with transaction.atomic():
            withhold_mail(ids)
            deleted = RSVP.objects.filter(pk__in=ids, status=RSVP.Status.PENDING).delete()[1]
            total += deleted.get("events.RSVP", 0)
    if total:
        logger.info("expired %d unconfirmed RSVPs", total)
    return total


def pending_expired(rsvp: RSVP, now: datetime | None = None) -> bool:
    cutoff = (now or timezone.now()) - timedelta(days=PENDING_DAYS)
    return rsvp.status == RSVP.Status.PENDING and rsvp.created_at < cutoff


def from_link(purpose: str, rsvp_uuid: uuid.UUID, token: str) -> RSVP | None:
    if not check_link_token(purpose, rsvp_uuid, token):
        return None
    return (
        RSVP.objects.select_related("event__campaign", "event__host", "event__mission")
        .filter(uuid=rsvp_uuid)
        .first()
    )


def events_map_svg(
    events: Iterable[Event], title: str, *, width: int = 960, seconds: int = 60
) -> str:
    """A world map of the events (cancelled ones left out), cached while they stay the same."""
    import hashlib

    from django.core.cache import cache

    points = []
    for event in events:
        position = map_position(event) if event.status != Event.Status.CANCELLED else None
        if position is not None:
            points.append(
                svgmap.MapPoint(
                    latitude=position[0],
                    longitude=position[1],
                    label=f"{event.title} ({event.city})",
                    href=reverse("events:event", args=[event.uuid]),
                    kind=f"event-{event.kind}",
                )
            )
    key = "events-map:" + hashlib.sha256(repr((title, width, points)).encode()).hexdigest()
    svg: str | None = cache.get(key)
    if svg is None:
        svg = svgmap.render_svg(points=points, title=title, width=width)
        cache.set(key, svg, seconds)
    return svg

"""OSDI resources made from safepassage's rows, and which rows each token may see.

What the OSDI API (``api/osdi.py``, docs/osdi.md) shows, and to whom:

- A token sees the campaigns its user organises (all for a superuser),
  narrowed to the token's own campaign when it has one; nothing else exists
  for it (404).
- Petitions, their counted signatures (confirmed, not held for review),
  events and their confirmed RSVPs ("attendances") of those campaigns.
  A signature or attendance carries no name and no address itself.
- People: only those who agreed to hear more. One person per signature
  whose signer chose "send me updates" or "let the coalition contact me",
  and one per confirmed RSVP whose guest agreed to be contacted about the
  event. Nobody who chose "only count my signature", nobody unconfirmed,
  withdrawn or held for review. A signature's and an RSVP's person are
  never linked to each other (docs/privacy.md).
- A person's plain e-mail address only when the signer chose "let the
  coalition contact me": the coalition's organisers, whose token this is,
  are whom that consent names. "Send me updates about this campaign" is
  answered by the application's own updates (docs/mail.md), so it does not
  hand the address to another tool; an RSVP's consent covers only mail
  about that event, so no RSVP address is given either. Every answer that
  carries an address is recorded (``Disclosure``) before it is sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from safepassage.accounts.permissions import organiser_campaigns
from safepassage.api.models import ApiToken, Disclosure
from safepassage.campaigns.models import Campaign, Petition
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.signatures.models import Signature

ORIGIN = "safepassage"
# Where the link relations "osdi:..." are described (HAL curies).
CURIES = [
    {"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}
]
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# Far beyond any real list, and within every database's integer range.
MAX_PAGE = 2**31 // MAX_PER_PAGE

SIGNER_CONSENT = (Signature.Contact.UPDATES, Signature.Contact.CONTACT)
EVENT_STATUS: dict[str, str] = {
    Event.Status.DRAFT: "tentative",
    Event.Status.PLANNED: "tentative",
    Event.Status.CONFIRMED: "confirmed",
    Event.Status.HELD: "confirmed",
    Event.Status.CANCELLED: "cancelled",
}


def osdi_date(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def identifiers(key: object) -> list[str]:
    return [f"{ORIGIN}:{key}"]


# --- What a token may see -----------------------------------------------------------


def campaigns_of(token: ApiToken) -> QuerySet[Campaign]:
    campaigns: QuerySet[Campaign] = organiser_campaigns(token.user)
    if token.campaign_id is not None:
        campaigns = campaigns.filter(pk=token.campaign_id)
    return Campaign.objects.filter(pk__in=campaigns.values("pk"))


def petitions(token: ApiToken) -> QuerySet[Petition]:
    return (
        Petition.objects.filter(campaign__in=campaigns_of(token))
        .select_related("campaign")
        .prefetch_related("texts")
        .annotate(
            counted=Count(
                "signatures",
                filter=Q(signatures__status=Signature.Status.CONFIRMED)
                & Q(signatures__review_reason=""),
            )
        )
        .order_by("pk")
    )


def signatures(petition: Petition) -> QuerySet[Signature]:
    return (
        Signature.objects.counted()
        .filter(petition=petition)
        .only("uuid", "contact", "created_at", "confirmed_at", "petition_id")
        .order_by("confirmed_at", "pk")
    )


def signer_people(token: ApiToken) -> QuerySet[Signature]:
    return (
        Signature.objects.counted()
        .filter(petition__campaign__in=campaigns_of(token), contact__in=SIGNER_CONSENT)
        .select_related("petition")
        .order_by("pk")
    )


def guest_people(token: ApiToken) -> QuerySet[RSVP]:
    return RSVP.objects.filter(
        event__campaign__in=campaigns_of(token), status=RSVP.Status.CONFIRMED, contact_ok=True
    ).order_by("pk")


def events(token: ApiToken) -> QuerySet[Event]:
    return (
        Event.objects.filter(campaign__in=campaigns_of(token))
        .annotate(
            accepted=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.CONFIRMED)),
        )
        .order_by("starts_at", "pk")
    )


def attendances(event: Event) -> QuerySet[RSVP]:
    return RSVP.objects.filter(event=event, status=RSVP.Status.CONFIRMED).order_by(
        "confirmed_at", "pk"
    )


# --- Links --------------------------------------------------------------------------


class Links:
    """Absolute links of one request's answer."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def url(self, name: str, *args: object) -> str:
        return self.request.build_absolute_uri(reverse(f"api:osdi:{name}", args=args))

    def href(self, name: str, *args: object) -> dict[str, str]:
        return {"href": self.url(name, *args)}


def page_of(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    page: int,
    per_page: int,
    rel: str,
    build: Callable[[list[Any]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of a collection: the counts, self/next/prev links and the embedded items."""
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    total_pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    items = build(list(rows[start : start + per_page])) if page <= total_pages else []
    base = request.build_absolute_uri(request.path)

    def at(number: int) -> dict[str, str]:
        return {"href": f"{base}?{urlencode({'page': number, 'per_page': per_page})}"}

    links: dict[str, Any] = {"self": at(page)}
    if page < total_pages:
        links["next"] = at(page + 1)
    if page > 1:
        links["prev"] = at(min(page - 1, total_pages))
    links[rel] = [item["_links"]["self"] for item in items]
    links["curies"] = CURIES
    return {
        "total_pages": total_pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {rel: items},
    }


# --- Resources ----------------------------------------------------------------------


def petition_out(links: Links, petition: Petition) -> dict[str, Any]:
    campaign = petition.campaign
    text = petition.text(petition.default_language)
    return {
        "identifiers": identifiers(petition.slug),
        "origin_system": ORIGIN,
        "created_date": osdi_date(campaign.created_at),
        "modified_date": osdi_date(campaign.created_at),
        "title": text.title if text else petition.slug,
        "petition_text": text.body if text else "",
        "browser_url": links.request.build_absolute_uri(petition.get_absolute_url()),
        "target": [
            {
                "title": campaign.target_title,
                "organization": campaign.target_government,
                "given_name": campaign.target_person,
            }
        ],
        "total_signatures": getattr(petition, "counted", None),
        "_links": {
            "self": links.href("petition", petition.slug),
            "osdi:signatures": links.href("signatures", petition.slug),
        },
    }


def signature_out(links: Links, petition: Petition, signature: Signature) -> dict[str, Any]:
    out_links: dict[str, Any] = {
        "self": links.href("signature", petition.slug, signature.uuid),
        "osdi:petition": links.href("petition", petition.slug),
    }
    if signature.contact in SIGNER_CONSENT:
        out_links["osdi:person"] = links.href("person", signature.uuid)
    return {
        "identifiers": identifiers(signature.uuid),
        "origin_system": ORIGIN,
        "created_date": osdi_date(signature.created_at),
        "modified_date": osdi_date(signature.confirmed_at),
        "action_date": osdi_date(signature.created_at),
        "_links": out_links,
    }


def _address(signature: Signature) -> str | None:
    """The plain address, only under "let the coalition contact me" (module docstring)."""
    if signature.contact != Signature.Contact.CONTACT or not signature.email_encrypted:
        return None
    try:
        return crypto.decrypt(signature.email_encrypted)
    except Exception:
        return None


def signer_person_out(links: Links, signature: Signature, address: str | None) -> dict[str, Any]:
    return {
        "identifiers": identifiers(signature.uuid),
        "origin_system": ORIGIN,
        "created_date": osdi_date(signature.created_at),
        "modified_date": osdi_date(signature.confirmed_at),
        "given_name": signature.first_name,
        "family_name": signature.last_name,
        "languages_spoken": [signature.language],
        "postal_addresses": [
            {
                "primary": True,
                "locality": signature.city,
                "region": signature.region,
                "country": signature.country,
            }
        ],
        "email_addresses": (
            [{"primary": True, "address": address, "status": "subscribed"}] if address else []
        ),
        "custom_fields": {"safepassage_consent": signature.contact},
        "_links": {
            "self": links.href("person", signature.uuid),
            "osdi:signatures": [links.href("signature", signature.petition.slug, signature.uuid)],
        },
    }


def guest_person_out(links: Links, rsvp: RSVP) -> dict[str, Any]:
    return {
        "identifiers": identifiers(rsvp.uuid),
        "origin_system": ORIGIN,
        "created_date": osdi_date(rsvp.created_at),
        "modified_date": osdi_date(rsvp.confirmed_at),
        # An RSVP has one name field, as the guest typed it.
        "given_name": rsvp.name,
        "languages_spoken": [rsvp.language],
        "email_addresses": [],
        "custom_fields": {"safepassage_consent": "event"},
        "_links": {
            "self": links.href("person", rsvp.uuid),
            "osdi:attendances": [links.href("attendance", rsvp.event.uuid, rsvp.uuid)],
        },
    }


def people_out(links: Links, token: ApiToken, rows: list[Signature | RSVP]) -> list[dict[str, Any]]:
    """People of one page; an answer with addresses is recorded first, per campaign."""
    addresses = {row.pk: _address(row) for row in rows if isinstance(row, Signature)}
    disclosed: dict[int, int] = {}
    for row in rows:
        if isinstance(row, Signature) and addresses[row.pk]:
            campaign_id = row.petition.campaign_id
            disclosed[campaign_id] = disclosed.get(campaign_id, 0) + 1
    Disclosure.objects.bulk_create(
        Disclosure(
            token=token,
            user_id=token.user_id,
            campaign_id=campaign_id,
            path=links.request.get_full_path()[:300],
            addresses=count,
        )
        for campaign_id, count in sorted(disclosed.items())
    )
    return [
        signer_person_out(links, row, addresses[row.pk])
        if isinstance(row, Signature)
        else guest_person_out(links, row)
        for row in rows
    ]


class People(Sequence[Signature | RSVP]):
    """The consenting signers, then the consenting guests, as one list to page through."""

    def __init__(self, token: ApiToken) -> None:
        self.signers = signer_people(token)
        self.guests = guest_people(token).select_related("event")
        self._signers_count = self.signers.count()
        self._count = self._signers_count + self.guests.count()

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):  # pragma: no cover - page_of slices only
            raise TypeError("People is read a page at a time")
        start, stop = index.start or 0, min(index.stop or self._count, self._count)
        split = self._signers_count
        found: list[Signature | RSVP] = []
        if start < split:
            found += list(self.signers[start : min(stop, split)])
        if stop > split:
            found += list(self.guests[max(start - split, 0) : stop - split])
        return found


def event_out(links: Links, event: Event) -> dict[str, Any]:
    location: dict[str, Any] = {
        "venue": event.venue,
        "address_lines": [event.address] if event.address else [],
        "locality": event.city,
        "country": event.country,
    }
    if event.latitude is not None and event.longitude is not None:
        location["location"] = {"latitude": event.latitude, "longitude": event.longitude}
    return {
        "identifiers": identifiers(event.uuid),
        "origin_system": ORIGIN,
        "created_date": osdi_date(event.created_at),
        "modified_date": osdi_date(event.updated_at),
        "title": event.title,
        "name": event.title,
        "description": event.description,
        "start_date": osdi_date(event.starts_at),
        "end_date": osdi_date(event.ends_at),
        "status": EVENT_STATUS.get(event.status, "tentative"),
        "visibility": "public" if event.visibility == Event.Visibility.PUBLIC else "private",
        "capacity": event.capacity,
        "total_accepted": getattr(event, "accepted", None),
        "location": location,
        "browser_url": links.request.build_absolute_uri(reverse("events:event", args=[event.uuid])),
        "_links": {
            "self": links.href("event", event.uuid),
            "osdi:attendances": links.href("attendances", event.uuid),
        },
    }


def attendance_out(links: Links, event: Event, rsvp: RSVP) -> dict[str, Any]:
    out_links: dict[str, Any] = {
        "self": links.href("attendance", event.uuid, rsvp.uuid),
        "osdi:event": links.href("event", event.uuid),
    }
    if rsvp.contact_ok:
        out_links["osdi:person"] = links.href("person", rsvp.uuid)
    return {
        "identifiers": identifiers(rsvp.uuid),
        "origin_system": ORIGIN,
        "created_date": osdi_date(rsvp.created_at),
        "modified_date": osdi_date(rsvp.confirmed_at),
        "status": "accepted",
        "custom_fields": {"safepassage_party_size": rsvp.people},
        "_links": out_links,
    }

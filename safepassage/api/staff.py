"""Endpoints for the campaign team, with a personal API token.

A token acts as its user, through the same checks as the team's pages
(accounts.permissions); its scope adds one more: a read token changes nothing.

- A campaign the user has no role in does not exist for them (404).
- Signatures: the campaign's organisers only (403 for other roles), and
  never an e-mail address: the API has none to give.
- Deliveries and RSVP counts: organisers, and coordinators for what their
  assignments cover (403 for partner editors). Never an RSVP's name.
- Recording a delivery goes through deliveries.services.record, so the
  rules of each status hold and the history keeps the user who did it.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from safepassage.accounts.permissions import (
    campaigns_for,
    coordinator_scope,
    is_organiser,
    role_kinds,
)
from safepassage.api import schemas
from safepassage.api.pagination import Listing, Page
from safepassage.api.public import COUNTRY
from safepassage.api.security import Forbidden, TokenAuth, require_write, token_of
from safepassage.campaigns.models import Campaign
from safepassage.deliveries import services as deliveries
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.permissions import deliveries_for
from safepassage.directory.models import mission_of
from safepassage.events.models import RSVP, Event
from safepassage.events.permissions import rsvp_events_for
from safepassage.signatures.models import Signature

router = Router(tags=["team"], auth=TokenAuth())

ERRORS: dict[int, type[schemas.Error]] = {
    # Text in the query or body that is not clean UTF-8 (core.middleware.ValidTextMiddleware).
    400: schemas.Error,
    401: schemas.Error,
    403: schemas.Error,
    404: schemas.Error,
    422: schemas.Error,
    429: schemas.Error,
}


class Conflict(HttpError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class Unprocessable(HttpError):
    """Values that break a rule of the domain; ``errors`` names the fields."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(422, message)
        self.errors = errors


def team_campaign(request: HttpRequest, slug: str) -> Campaign:
    """The campaign, if the token's user has a role in it; else 404."""
    token = token_of(request)
    campaign = campaigns_for(token.user).filter(slug=slug).first()
    if token.campaign_id is not None and campaign is not None and campaign.pk != token.campaign_id:
        campaign = None  # a token for one campaign: the others do not exist for it
    if not isinstance(campaign, Campaign):
        raise HttpError(404, "No such campaign, or you have no role in it.")
    return campaign


def require_delivery_role(request: HttpRequest, campaign: Campaign) -> None:
    user = token_of(request).user
    if not is_organiser(user, campaign) and coordinator_scope(user, campaign).empty:
        raise Forbidden("Only the campaign's organisers and coordinators may see this.")


# --- Who am I -----------------------------------------------------------------------


@router.get("/me", response={200: schemas.MeOut, **ERRORS}, summary="The token and its user")
def me(request: HttpRequest) -> dict[str, Any]:
    token = token_of(request)
    user = token.user
    campaigns = [
        {"slug": c.slug, "title": c.title, "roles": sorted(role_kinds(user, c))}
        for c in campaigns_for(user).order_by("-year", "title", "pk")
        if token.campaign_id is None or c.pk == token.campaign_id
    ]
    return {
        "username": user.get_username(),
        "token": {
            "name": token.name,
            "scope": token.scope,
            "prefix": token.prefix,
            "created_at": token.created_at,
        },
        "campaigns": campaigns,
    }


# --- Signatures (organisers) ---------------------------------------------------------


class SignatureFilter(Schema):
    petition: str | None = Field(None, description="A petition's slug.")
    country: str | None = Field(None, pattern=COUNTRY, description="ISO 3166-1 alpha-2.")
    mission: str | None = Field(None, description="A mission's key.")
    confirmed_since: dt.datetime | None = Field(
        None, description="Only signatures confirmed at or after this time."
    )


def signatures_out(page: list[Signature]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.uuid,
            "petition": s.petition.slug,
            "first_name": s.first_name,
            "last_name": s.last_name,
            "city": s.city,
            "region": s.region,
            "country": s.country,
            "mission": mission.key if (mission := mission_of(s)) is not None else None,
            "confirmed_at": s.confirmed_at,
            "publish_name": s.publish_name,
        }
        for s in page
    ]


@router.get(
    "/campaigns/{slug}/signatures",
    response={200: list[schemas.SignatureOut], **ERRORS},
    summary="Counted signatures of the campaign (organisers; no e-mail addresses)",
    description="Confirmed signatures that are not held for review, oldest confirmation first.",
)
@paginate(Page)
def list_signatures(request: HttpRequest, slug: str, filters: Query[SignatureFilter]) -> Listing:
    campaign = team_campaign(request, slug)
    if not is_organiser(token_of(request).user, campaign):
        raise Forbidden("Only the campaign's organisers may read signatures.")
    rows = (
        Signature.objects.counted()
        .filter(petition__campaign=campaign)
        .select_related("petition", "route__mission")
        .only(
            "uuid",
            "petition__slug",
            "first_name",
            "last_name",
            "city",
            "region",
            "country",
            "route__mission__key",
            "confirmed_at",
            "publish_name",
        )
        .order_by("confirmed_at", "pk")
    )
    if filters.petition:
        rows = rows.filter(petition__slug=filters.petition)
    if filters.country:
        rows = rows.filter(country=filters.country.upper())
    if filters.mission:
        rows = rows.filter(route__mission__key=filters.mission)
    since = filters.confirmed_since
    if since is not None and since.year > schemas.LATEST_YEAR:
        rows = rows.none()
    elif since is not None and since.year >= schemas.EARLIEST_YEAR:
        # (Earlier than that: every signature; such times may not convert to UTC.)
        rows = rows.filter(
            confirmed_at__gte=since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        )
    return Listing(rows, signatures_out)


# --- Deliveries (organisers and coordinators) ---------------------------------------


def delivery_out(delivery: Delivery, user: Any, allowed: list[str] | None = None) -> dict[str, Any]:
    mission = delivery.mission
    return {
        "mission": {
            "key": mission.key,
            "name": mission.name,
            "kind": mission.kind,
            "city": mission.city,
            "host_country": mission.host_country,
        },
        "status": delivery.status,
        "delivered_by": delivery.delivered_by,
        "delivered_at": delivery.delivered_at,
        "received_by": delivery.received_by,
        "notes": delivery.notes,
        "packet_sha256": delivery.packet_sha256,
        "updated_at": delivery.updated_at,
        "allowed_statuses": (
            deliveries.allowed_statuses(user, delivery) if allowed is None else allowed
        ),
    }


def delivery_detail(delivery: Delivery, user: Any) -> dict[str, Any]:
    data = delivery_out(delivery, user)
    data["history"] = [
        {
            "when": entry.when,
            "who": entry.who,
            "from_status": entry.from_status,
            "to_status": entry.to_status,
            "changed": entry.changed,
            "reason": entry.reason,
        }
        for entry in deliveries.history(delivery)
    ]
    return data


def scoped_deliveries(request: HttpRequest, slug: str) -> tuple[Campaign, QuerySet[Delivery]]:
    campaign = team_campaign(request, slug)
    require_delivery_role(request, campaign)
    rows = deliveries_for(token_of(request).user, campaign).select_related("campaign", "mission")
    return campaign, rows


def scoped_delivery(request: HttpRequest, slug: str, key: str) -> Delivery:
    delivery = scoped_deliveries(request, slug)[1].filter(mission__key=key).first()
    if delivery is None:
        raise HttpError(404, "No delivery to this mission in your scope.")
    return delivery


class DeliveryFilter(Schema):
    status: schemas.StatusValue | None = None
    country: str | None = Field(None, pattern=COUNTRY, description="The mission's host country.")


@router.get(
    "/campaigns/{slug}/deliveries",
    response={200: list[schemas.DeliveryOut], **ERRORS},
    summary="Deliveries in your scope",
)
@paginate(Page)
def list_deliveries(request: HttpRequest, slug: str, filters: Query[DeliveryFilter]) -> Listing:
    campaign, rows = scoped_deliveries(request, slug)
    rows = rows.order_by("mission__host_country", "mission__city", "mission__name", "pk")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.country:
        rows = rows.filter(mission__host_country=filters.country.upper())
    user = token_of(request).user
    # An organiser may record every status on every delivery: ask once, not per row.
    everything = list(Delivery.Status.values) if is_organiser(user, campaign) else None
    return Listing(rows, lambda page: [delivery_out(d, user, everything) for d in page])


@router.get(
    "/campaigns/{slug}/deliveries/{key}",
    response={200: schemas.DeliveryDetailOut, **ERRORS},
    summary="One delivery, by its mission's key, with its history",
)
def get_delivery(request: HttpRequest, slug: str, key: str) -> dict[str, Any]:
    delivery = scoped_delivery(request, slug, key)
    return delivery_detail(delivery, token_of(request).user)


@router.post(
    "/campaigns/{slug}/deliveries/{key}/record",
    response={200: schemas.DeliveryDetailOut, 400: schemas.Error, 409: schemas.Error, **ERRORS},
    summary="Record what happened to a delivery (write scope)",
    description=(
        "The same rules as the delivery page: a time for every status but planned and failed, "
        "who handed it over in person, a note for refused and failed. Coordinators record only "
        "while a delivery is planned or failed; organisers also correct. The change is kept in "
        "the delivery's history with your user."
    ),
)
def record_delivery(
    request: HttpRequest, slug: str, key: str, data: schemas.DeliveryRecordIn
) -> dict[str, Any]:
    token = require_write(request)
    delivery = scoped_delivery(request, slug, key)
    far = [name for name in ("delivered_at", "seen") if not schemas.plausible(getattr(data, name))]
    if far:
        message = "Give a time between the years 1900 and 2200."
        raise Unprocessable("A time is out of range.", {name: [message] for name in far})
    try:
        saved = deliveries.record(
            delivery,
            data.status,
            by=data.delivered_by,
            at=data.delivered_at,
            received_by=data.received_by,
            notes=data.notes,
            packet_sha256=data.packet_sha256,
            user=token.user,
            seen=data.seen,
        )
    except PermissionDenied as denied:
        raise Forbidden(str(denied) or "You may not record this delivery.") from None
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            fields = {name: [str(m) for m in msgs] for name, msgs in error.message_dict.items()}
            raise Unprocessable("The values break a rule of this status.", fields) from None
        # Not about a field: someone else saved the delivery since `seen`.
        raise Conflict(" ".join(str(m) for m in error.messages)) from None
    return delivery_detail(saved, token.user)


# --- RSVP counts ----------------------------------------------------------------------


class RSVPFilter(Schema):
    country: str | None = Field(None, pattern=COUNTRY, description="ISO 3166-1 alpha-2.")
    status: schemas.EventStatus | None = None


@router.get(
    "/campaigns/{slug}/rsvps",
    response={200: list[schemas.RSVPCountOut], **ERRORS},
    summary="RSVP counts of the events in your scope (never names)",
)
@paginate(Page)
def rsvp_counts(request: HttpRequest, slug: str, filters: Query[RSVPFilter]) -> Listing:
    campaign = team_campaign(request, slug)
    require_delivery_role(request, campaign)
    confirmed = Q(rsvps__status=RSVP.Status.CONFIRMED)
    rows = (
        rsvp_events_for(token_of(request).user, campaign)
        .annotate(
            n_confirmed=Count("rsvps", filter=confirmed),
            n_people=Sum("rsvps__people", filter=confirmed),
            n_pending=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.PENDING)),
            n_cancelled=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.CANCELLED)),
        )
        .order_by("starts_at", "pk")
    )
    if filters.country:
        rows = rows.filter(country=filters.country.upper())
    if filters.status:
        rows = rows.filter(status=filters.status)

    def build(page: list[Event]) -> list[dict[str, Any]]:
        out = []
        for event in page:
            people = int(event.n_people or 0)  # type: ignore[attr-defined]
            left = None if event.capacity is None else max(0, event.capacity - people)
            out.append(
                {
                    "event": event.uuid,
                    "title": event.title,
                    "kind": event.kind,
                    "status": event.status,
                    "listed": event.visibility == Event.Visibility.PUBLIC,
                    "city": event.city,
                    "country": event.country,
                    "starts_at": event.starts_at,
                    "time_zone": event.time_zone,
                    "capacity": event.capacity,
                    "confirmed": event.n_confirmed,  # type: ignore[attr-defined]
                    "confirmed_people": people,
                    "pending": event.n_pending,  # type: ignore[attr-defined]
                    "cancelled": event.n_cancelled,  # type: ignore[attr-defined]
                    "places_left": left,
                }
            )
        return out

    return Listing(rows, build)

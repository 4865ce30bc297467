"""The OSDI read API at /api/osdi/v1/: what partners' tools (Action Network, ...) read.

HAL JSON (``application/hal+json``) in the shapes of the Open Supporter Data
Interface: an entry point with links to petitions, people and events;
collections with ``page``, ``per_page``, ``total_pages``, ``total_records``,
``self``/``next``/``prev`` links and the items under ``_embedded``. Read only.

A token is sent as ``OSDI-API-Token: <token>`` (as OSDI clients do) or
``Authorization: Bearer <token>``; the same personal tokens as the rest of
the API, with the same rate limits. What each token sees, and why no
address leaves without the signer's consent: ``osdi_resources``, and
docs/osdi.md for the resources and fields covered.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import ValidationError
from ninja.renderers import JSONRenderer
from pydantic import Field

from safepassage.api import osdi_resources as res
from safepassage.api.errors import answer_errors
from safepassage.api.models import ApiToken
from safepassage.api.security import RateLimit, TokenAuth, token_of
from safepassage.events.models import RSVP, Event
from safepassage.signatures.models import Signature

TOKEN_HEADER = "OSDI-API-Token"  # noqa: S105 (a header name, not a secret)
MEDIA_TYPE = "application/hal+json"


class HalRenderer(JSONRenderer):
    media_type = MEDIA_TYPE


class OsdiAuth(TokenAuth):
    """The OSDI header, else a Bearer token (a user who organises nothing sees nothing)."""

    def __call__(self, request: HttpRequest) -> Any:
        token = request.headers.get(TOKEN_HEADER, "")
        if token.strip():
            return self.authenticate(request, token)
        return super().__call__(request)


class Paging(Schema):
    page: int = Field(1, ge=1, le=res.MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(
        res.DEFAULT_PER_PAGE, ge=1, le=res.MAX_PER_PAGE, description="Items per page."
    )


osdi_api = NinjaAPI(
    title="safepassage OSDI API",
    version="osdi-1",
    urls_namespace="osdi",
    docs_url=None,
    openapi_url=None,
    renderer=HalRenderer(),
    throttle=[RateLimit()],
)
router = Router(auth=OsdiAuth())


def _strict(request: HttpRequest, allowed: frozenset[str]) -> None:
    """Refuse unknown or repeated query parameters (422), as the rest of the API does."""
    errors = [
        {"type": "unknown_parameter", "loc": ["query", key], "msg": "Unknown parameter"}
        for key in sorted(set(request.GET) - allowed)
    ]
    errors += [
        {"type": "repeated_parameter", "loc": ["query", key], "msg": "Given more than once"}
        for key in sorted(request.GET)
        if len(request.GET.getlist(key)) > 1
    ]
    if errors:
        raise ValidationError(errors)


PAGED = frozenset({"page", "per_page"})
NONE: frozenset[str] = frozenset()


def _links(request: HttpRequest) -> res.Links:
    return res.Links(request)


def _petition(token: ApiToken, slug: str) -> Any:
    return get_object_or_404(res.petitions(token), slug=slug)


def _event(token: ApiToken, uuid: UUID) -> Event:
    return get_object_or_404(res.events(token), uuid=uuid)


@router.get("/", url_name="aep")
def aep(request: HttpRequest) -> dict[str, Any]:
    _strict(request, NONE)
    links = _links(request)
    return {
        "motd": "safepassage: petitions, signatures, consenting people and events (read only).",
        "max_pagesize": res.MAX_PER_PAGE,
        "vendor_name": "safepassage",
        "product_name": "safepassage",
        "osdi_version": "1.0",
        "_links": {
            "curies": res.CURIES,
            "self": {**links.href("aep"), "title": "This API entry point"},
            "osdi:petitions": {**links.href("petitions"), "title": "Petitions"},
            "osdi:people": {
                **links.href("people"),
                "title": "People who agreed to hear more (signers and event guests)",
            },
            "osdi:events": {**links.href("events"), "title": "Events of the day of action"},
            "docs": {
                "href": request.build_absolute_uri(reverse("api:docs")),
                "title": "Documentation",
            },
        },
    }


@router.get("/petitions", url_name="petitions")
def list_petitions(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    _strict(request, PAGED)
    links = _links(request)
    rows = res.petitions(token_of(request))
    return res.page_of(
        request,
        rows,
        paging.page,
        paging.per_page,
        "osdi:petitions",
        lambda page: [res.petition_out(links, petition) for petition in page],
    )


@router.get("/petitions/{petition_slug}", url_name="petition")
def get_petition(request: HttpRequest, petition_slug: str) -> dict[str, Any]:
    _strict(request, NONE)
    return res.petition_out(_links(request), _petition(token_of(request), petition_slug))


@router.get("/petitions/{petition_slug}/signatures", url_name="signatures")
def list_signatures(
    request: HttpRequest, petition_slug: str, paging: Query[Paging]
) -> dict[str, Any]:
    _strict(request, PAGED)
    petition = _petition(token_of(request), petition_slug)
    links = _links(request)
    return res.page_of(
        request,
        res.signatures(petition),
        paging.page,
        paging.per_page,
        "osdi:signatures",
        lambda page: [res.signature_out(links, petition, signature) for signature in page],
    )


@router.get("/petitions/{petition_slug}/signatures/{signature_uuid}", url_name="signature")
def get_signature(request: HttpRequest, petition_slug: str, signature_uuid: UUID) -> Any:
    _strict(request, NONE)
    petition = _petition(token_of(request), petition_slug)
    signature = get_object_or_404(res.signatures(petition), uuid=signature_uuid)
    return res.signature_out(_links(request), petition, signature)


@router.get("/people", url_name="people")
def list_people(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    _strict(request, PAGED)
    token = token_of(request)
    links = _links(request)
    return res.page_of(
        request,
        res.People(token),
        paging.page,
        paging.per_page,
        "osdi:people",
        lambda page: res.people_out(links, token, page),
    )


@router.get("/people/{person_uuid}", url_name="person")
def get_person(request: HttpRequest, person_uuid: UUID) -> dict[str, Any]:
    _strict(request, NONE)
    token = token_of(request)
    person: Signature | RSVP | None = res.signer_people(token).filter(uuid=person_uuid).first()
    if person is None:
        person = res.guest_people(token).select_related("event").filter(uuid=person_uuid).first()
    if person is None:
        raise Http404
    return res.people_out(_links(request), token, [person])[0]


@router.get("/events", url_name="events")
def list_events(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    _strict(request, PAGED)
    links = _links(request)
    return res.page_of(
        request,
        res.events(token_of(request)),
        paging.page,
        paging.per_page,
        "osdi:events",
        lambda page: [res.event_out(links, event) for event in page],
    )


@router.get("/events/{event_uuid}", url_name="event")
def get_event(request: HttpRequest, event_uuid: UUID) -> dict[str, Any]:
    _strict(request, NONE)
    return res.event_out(_links(request), _event(token_of(request), event_uuid))


@router.get("/events/{event_uuid}/attendances", url_name="attendances")
def list_attendances(
    request: HttpRequest, event_uuid: UUID, paging: Query[Paging]
) -> dict[str, Any]:
    _strict(request, PAGED)
    event = _event(token_of(request), event_uuid)
    links = _links(request)
    return res.page_of(
        request,
        res.attendances(event),
        paging.page,
        paging.per_page,
        "osdi:attendances",
        lambda page: [res.attendance_out(links, event, rsvp) for rsvp in page],
    )


@router.get("/events/{event_uuid}/attendances/{rsvp_uuid}", url_name="attendance")
def get_attendance(request: HttpRequest, event_uuid: UUID, rsvp_uuid: UUID) -> dict[str, Any]:
    _strict(request, NONE)
    event = _event(token_of(request), event_uuid)
    rsvp = get_object_or_404(res.attendances(event), uuid=rsvp_uuid)
    return res.attendance_out(_links(request), event, rsvp)


osdi_api.add_router("/", router)


# --- Errors: {"detail": ...} with the status, in the same media type -----------------


answer_errors(osdi_api, "OSDI API")

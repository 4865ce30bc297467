"""Public endpoints: campaigns, petitions and their counts, events, the mission directory.

The operations themselves: their paths, filters and errors. Which rows are
public and what each answer holds is in public_data.py; nothing there names
a signer or an RSVP.
"""

import datetime as dt
import uuid
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from safepassage.accounts.permissions import fold_city
from safepassage.api import schemas
from safepassage.api.pagination import Listing, Page
from safepassage.api.public_data import (
    campaign_out,
    counts,
    event_out,
    events_out,
    missions_out,
    petition_out,
    public_campaigns,
    public_petitions,
    published_reports,
    report_out,
    report_summary_out,
)
from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission, MissionArea
from safepassage.events import services as events
from safepassage.events.models import Event

router = Router(tags=["public"])

ERRORS: dict[int, type[schemas.Error]] = {
    # Text in the query or body that is not clean UTF-8 (core.middleware.ValidTextMiddleware).
    400: schemas.Error,
    404: schemas.Error,
    422: schemas.Error,
    429: schemas.Error,
}
COUNTRY = r"^[A-Za-z]{2}$"
LANGUAGE = "^(" + "|".join(code for code, _ in settings.LANGUAGES) + ")$"


def not_found(what: str) -> HttpError:
    return HttpError(404, f"No such {what}.")


# --- Campaigns --------------------------------------------------------------------


def public_campaign(slug: str) -> Campaign:
    campaign = public_campaigns().filter(slug=slug).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


class CampaignFilter(Schema):
    year: int | None = Field(None, ge=1900, le=2200, description="The campaign's year.")
    status: Literal["open", "closed", "archived"] | None = None


@router.get(
    "/campaigns",
    response={200: list[schemas.CampaignOut], **ERRORS},
    summary="Campaigns (not drafts)",
)
@paginate(Page)
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilter]) -> Listing:
    campaigns = public_campaigns()
    if filters.year is not None:
        campaigns = campaigns.filter(year=filters.year)
    if filters.status:
        campaigns = campaigns.filter(status=filters.status)
    return Listing(campaigns, lambda page: [campaign_out(c) for c in page])


@router.get(
    "/campaigns/{slug}",
    response={200: schemas.CampaignOut, **ERRORS},
    summary="One campaign",
)
def get_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    return campaign_out(public_campaign(slug))


# --- Counts -------------------------------------------------------------------------


@router.get(
    "/campaigns/{slug}/counts",
    response={200: schemas.CountsOut, **ERRORS},
    summary="Counted signatures of all the campaign's petitions, by country and by mission",
)
def campaign_counts(request: HttpRequest, slug: str) -> dict[str, Any]:
    return counts(public_campaign(slug))


# --- Petitions ----------------------------------------------------------------------


class PetitionFilter(Schema):
    campaign: str | None = Field(None, description="A campaign's slug.")
    lang: str | None = Field(
        None, pattern=LANGUAGE, description="Language of the titles (default: the request's)."
    )


@router.get(
    "/petitions",
    response={200: list[schemas.PetitionOut], **ERRORS},
    summary="Petitions of campaigns that are not drafts",
)
@paginate(Page)
def list_petitions(request: HttpRequest, filters: Query[PetitionFilter]) -> Listing:
    petitions = public_petitions().order_by("-campaign__year", "campaign__title", "slug")
    if filters.campaign:
        petitions = petitions.filter(campaign__slug=filters.campaign)
    language = filters.lang or get_language()
    return Listing(petitions, lambda page: [petition_out(p, language) for p in page])


class LanguageFilter(Schema):
    lang: str | None = Field(
        None, pattern=LANGUAGE, description="Language of the title (default: the request's)."
    )


@router.get(
    "/petitions/{slug}",
    response={200: schemas.PetitionDetailOut, **ERRORS},
    summary="One petition with its texts and its counts by country and by mission",
)
def get_petition(request: HttpRequest, slug: str, filters: Query[LanguageFilter]) -> dict[str, Any]:
    petition = public_petitions().filter(slug=slug).first()
    if petition is None:
        raise not_found("petition")
    tally = counts(petition.campaign, petition)
    data = petition_out(petition, filters.lang or get_language())
    data["texts"] = [
        {"language": t.language, "title": t.title, "body": t.body}
        for t in sorted(petition.texts.all(), key=lambda t: t.language)
    ]
    data["counts"] = tally
    return data


# --- Events --------------------------------------------------------------------------


class EventFilter(Schema):
    kind: schemas.EventKind | None = None
    status: schemas.EventStatus | None = None
    country: str | None = Field(None, pattern=COUNTRY, description="ISO 3166-1 alpha-2.")
    city: str | None = Field(None, max_length=120, description="Any spelling case.")
    date: dt.date | None = Field(None, description="The local date of the event's start.")


@router.get(
    "/campaigns/{slug}/events",
    response={200: list[schemas.EventOut], **ERRORS},
    summary="The campaign's listed events, in order of start",
)
@paginate(Page)
def list_events(request: HttpRequest, slug: str, filters: Query[EventFilter]) -> Listing:
    campaign = public_campaign(slug)
    listed = events.listed_events(campaign).select_related("campaign")
    if filters.kind:
        listed = listed.filter(kind=filters.kind)
    if filters.status:
        listed = listed.filter(status=filters.status)
    if filters.country:
        listed = listed.filter(country=filters.country.upper())
    rows: QuerySet[Event] | list[Event] = listed
    if filters.city or filters.date:
        # Cities are compared folded and dates are local, both in Python (see fold_city).
        city = fold_city(filters.city) if filters.city else None
        rows = [
            event
            for event in listed
            if (city is None or fold_city(event.city) == city)
            and (filters.date is None or event.local_start().date() == filters.date)
        ]
    return Listing(rows, events_out)


@router.get(
    "/events/{uuid}",
    response={200: schemas.EventOut, **ERRORS},
    summary="One listed event",
)
def get_event(request: HttpRequest, uuid: uuid.UUID) -> dict[str, Any]:
    event = events.visible_event(uuid)
    if event is None or event.visibility != Event.Visibility.PUBLIC:
        raise not_found("event")
    return event_out(event, events.confirmed_people(event))


# --- Missions ------------------------------------------------------------------------


class MissionFilter(Schema):
    sending_state: str | None = Field(None, pattern=COUNTRY, description="ISO 3166-1 alpha-2.")
    host_country: str | None = Field(None, pattern=COUNTRY, description="ISO 3166-1 alpha-2.")
    kind: schemas.MissionKind | None = None
    status: schemas.MissionStatus | None = None
    serves: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
        description="An ISO 3166 country or subdivision code in the mission's district "
        "or accreditation.",
    )


@router.get(
    "/missions",
    response={200: list[schemas.MissionOut], **ERRORS},
    summary="The mission directory",
)
@paginate(Page)
def list_missions(request: HttpRequest, filters: Query[MissionFilter]) -> Listing:
    missions = Mission.objects.order_by(
        "sending_state", "host_country", "kind", "city", "name", "pk"
    )
    if filters.sending_state:
        missions = missions.filter(sending_state=filters.sending_state.upper())
    if filters.host_country:
        missions = missions.filter(host_country=filters.host_country.upper())
    if filters.kind:
        missions = missions.filter(kind=filters.kind)
    if filters.status:
        missions = missions.filter(status=filters.status)
    if filters.serves:
        missions = missions.filter(
            pk__in=MissionArea.objects.filter(code=filters.serves.upper()).values("mission_id")
        )
    return Listing(missions, missions_out)


@router.get(
    "/missions/{key}",
    response={200: schemas.MissionOut, **ERRORS},
    summary="One mission, by its stable key",
)
def get_mission(request: HttpRequest, key: str) -> dict[str, Any]:
    mission = Mission.objects.filter(key=key).first()
    if mission is None:
        raise not_found("mission")
    return missions_out([mission])[0]


# --- After-action reports ------------------------------------------------------------


class ReportFilter(Schema):
    # A slug's own characters only: anything else could never match, and
    # PostgreSQL refuses a NUL in a query parameter outright.
    campaign: str | None = Field(
        None, pattern=r"^[-a-zA-Z0-9_]+$", max_length=80, description="A campaign's slug."
    )
    year: int | None = Field(None, ge=1900, le=2200, description="The campaign's year.")


@router.get(
    "/reports",
    response={200: list[schemas.ReportSummaryOut], **ERRORS},
    summary="Published after-action reports, newest campaign first",
)
@paginate(Page)
def list_reports(request: HttpRequest, filters: Query[ReportFilter]) -> Listing:
    reports = published_reports()
    if filters.campaign:
        reports = reports.filter(campaign__slug=filters.campaign)
    if filters.year is not None:
        reports = reports.filter(campaign__year=filters.year)
    return Listing(reports, lambda page: [report_summary_out(r) for r in page])


@router.get(
    "/campaigns/{slug}/report",
    response={200: schemas.ReportOut, **ERRORS},
    summary="The campaign's published after-action report, as frozen when it was published",
)
def get_report(request: HttpRequest, slug: str) -> dict[str, Any]:
    report = published_reports().filter(campaign__slug=slug).first()
    if report is None:
        raise not_found("published report")
    return report_out(report)

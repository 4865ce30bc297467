"""Public endpoints: campaigns, petitions and their counts, events, the mission directory.

Nothing here names a signer or an RSVP, or carries anyone's e-mail address:
counts come from directory.tallies ("counted" = confirmed and not held for
review), events say how many people are coming and never who, and an event
whose address is for confirmed RSVPs only is placed no finer than its city
(as on its public page and in its iCalendar feeds).
"""

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any, Literal

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from safepassage.accounts.permissions import fold_city
from safepassage.api import schemas
from safepassage.api.pagination import Listing, Page
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.directory.models import Mission, MissionArea
from safepassage.events import services as events
from safepassage.events.models import Event
from safepassage.lib.smallcounts import PublicCount, public_count
from safepassage.reports.models import AfterActionReport
from safepassage.reports.stats import stats_for, summed

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


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- Campaigns --------------------------------------------------------------------


def public_campaigns() -> QuerySet[Campaign]:
    return (
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.order_by("name")),
            Prefetch("petitions", queryset=Petition.objects.order_by("slug")),
        )
        .order_by("-year", "title", "pk")
    )


def public_campaign(slug: str) -> Campaign:
    campaign = public_campaigns().filter(slug=slug).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


def organisation_out(organisation: Organisation) -> dict[str, Any]:
    return {"slug": organisation.slug, "name": organisation.name, "website": organisation.website}


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "year": campaign.year,
        "day_of_action": campaign.day_of_action,
        "status": campaign.status,
        "target": {
            "person": campaign.target_person,
            "title": campaign.target_title,
            "government": campaign.target_government,
        },
        "organisations": [organisation_out(o) for o in campaign.organisations.all()],
        "petitions": [p.slug for p in campaign.petitions.all()],
    }


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


def counts(campaign: Campaign, petition: Petition | None = None) -> dict[str, Any]:
    """Counted signatures in total, by country and by mission, from the cached statistics.

    The worker refreshes them every housekeeping sweep (``as_of`` says when),
    so no request groups the signature table; a petition's live total is its
    ``confirmed_count``.
    """
    stats = stats_for(campaign)
    if petition is not None:
        parts = [stats.breakdown.get(str(petition.pk), {})]
    else:
        parts = list(stats.breakdown.values())
    by_country = summed(parts, "countries")
    by_mission = summed(parts, "missions")
    missions = {
        str(pk): (key_, name)
        for pk, key_, name in Mission.objects.filter(
            pk__in=[int(pk) for pk in by_mission if pk]
        ).values_list("pk", "key", "name")
    }
    rows: list[tuple[PublicCount, str | None, str | None]] = []
    for pk, count in by_mission.items():
        mission_key, name = missions.get(pk, (None, None))
        rows.append((public_count(count), mission_key, name))
    # Small figures are hidden and rank alike (lib/smallcounts.py); the total is exact.
    rows.sort(key=lambda row: (-row[0].rank, row[1] or ""))
    countries = sorted(
        ((code, public_count(n)) for code, n in by_country.items()),
        key=lambda item: (-item[1].rank, item[0]),
    )
    return {
        "campaign": campaign.slug,
        "petition": petition.slug if petition else None,
        "total": sum(by_country.values()),
        "by_country": [
            {"country": c, "count": n.value, "fewer_than": n.fewer_than} for c, n in countries
        ],
        "by_mission": [
            {"mission": k, "name": name, "count": n.value, "fewer_than": n.fewer_than}
            for n, k, name in rows
        ],
        "as_of": stats.refreshed_at,
    }


@router.get(
    "/campaigns/{slug}/counts",
    response={200: schemas.CountsOut, **ERRORS},
    summary="Counted signatures of all the campaign's petitions, by country and by mission",
)
def campaign_counts(request: HttpRequest, slug: str) -> dict[str, Any]:
    return counts(public_campaign(slug))


# --- Petitions ----------------------------------------------------------------------


def public_petitions() -> QuerySet[Petition]:
    return Petition.objects.public().select_related("campaign").prefetch_related("texts")


def petition_out(
    petition: Petition, language: str | None, count: int | None = None
) -> dict[str, Any]:
    text = petition.text(language)
    return {
        "slug": petition.slug,
        "campaign": petition.campaign.slug,
        "title": text.title if text else "",
        "language": text.language if text else petition.default_language,
        "languages": sorted(t.language for t in petition.texts.all()),
        "default_language": petition.default_language,
        "signature_goal": petition.signature_goal,
        "confirmed_count": petition.confirmed_count() if count is None else count,
        "opens_at": petition.opens_at,
        "closes_at": petition.closes_at,
        "is_open": petition.is_open(),
        "url": absolute(petition.get_absolute_url()),
    }


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


def position_out(event: Event) -> dict[str, Any] | None:
    position = events.map_position(event)
    if position is None:
        return None
    exact = (
        events.address_public(event) and event.latitude is not None and event.longitude is not None
    )
    return {
        "latitude": position[0],
        "longitude": position[1],
        "precision": "venue" if exact else "city",
    }


def event_out(event: Event, people: int) -> dict[str, Any]:
    public = events.address_public(event)
    end = event.local_end()
    return {
        "uuid": event.uuid,
        "campaign": event.campaign.slug,
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "status": event.status,
        "address_public": public,
        "venue": event.venue if public else None,
        "address": event.address if public else None,
        "city": event.city,
        "country": event.country,
        "position": position_out(event),
        "mission": event.mission.key if public and event.mission is not None else None,
        "host": organisation_out(event.host) if event.host is not None else None,
        "contact": event.contact,
        "time_zone": event.time_zone,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "local_start": event.local_start().isoformat(),
        "local_end": end.isoformat() if end is not None else None,
        "capacity": event.capacity,
        "people_coming": people,
        "url": absolute(reverse("events:event", args=[event.uuid])),
        "ical_url": absolute(reverse("events:event_ics", args=[event.uuid])),
    }


def events_out(page: list[Event]) -> list[dict[str, Any]]:
    people = events.people_by_event(page)
    return [event_out(event, people.get(event.pk, 0)) for event in page]


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


def missions_out(page: list[Mission]) -> list[dict[str, Any]]:
    areas: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for mission_id, kind, code in (
        MissionArea.objects.filter(mission__in=page)
        .order_by("code")
        .values_list("mission_id", "kind", "code")
    ):
        areas[mission_id][kind].append(code)
    return [
        {
            "key": m.key,
            "sending_state": m.sending_state,
            "kind": m.kind,
            "name": m.name,
            "host_country": m.host_country,
            "city": m.city,
            "postal_address": m.postal_address,
            "postcode": m.postcode,
            "latitude": m.latitude,
            "longitude": m.longitude,
            "email": m.email,
            "phone": m.phone,
            "fax": m.fax,
            "website": m.website,
            "status": m.status,
            "opened": m.opened,
            "closed": m.closed,
            "districts": areas[m.pk][MissionArea.Kind.DISTRICT],
            "accreditations": areas[m.pk][MissionArea.Kind.ACCREDITATION],
            "source": m.source,
            "source_date": m.source_date,
            "updated_at": m.updated_at,
        }
        for m in page
    ]


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


def published_reports() -> QuerySet[AfterActionReport]:
    """Published reports of campaigns that are not drafts; never a draft's content."""
    return (
        AfterActionReport.objects.filter(status=AfterActionReport.Status.PUBLISHED)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .select_related("campaign")
        .order_by("-campaign__year", "campaign__slug")
    )


def report_summary_out(report: AfterActionReport) -> dict[str, Any]:
    slug = report.campaign.slug
    return {
        "campaign": slug,
        "year": report.campaign.year,
        "title": report.snapshot["title"],
        "published_at": report.published_at,
        "url": absolute(reverse("report:public", args=[slug])),
        "pdf_url": absolute(reverse("report:pdf", args=[slug])),
    }


def report_out(report: AfterActionReport) -> dict[str, Any]:
    """The published snapshot (only it: later data and draft edits stay out)."""
    frozen = report.snapshot
    data = frozen["data"]
    shown = {name.removeprefix("show_"): bool(on) for name, on in frozen["sections"].items()}
    missions = [
        {
            "mission": row["key"],
            "name": row["name"],
            "city": row["city"],
            "country": row["country"],
            "signatures": public_count(row["signatures"]).value,
            "fewer_than": public_count(row["signatures"]).fewer_than,
            "delivery_status": row["status"] or None,
            "delivered_on": row["delivered_on"],
            "responses": row["responses"] if shown.get("responses") else [],
        }
        for row in data["missions"]
    ]
    missions.sort(key=lambda row: (-(row["signatures"] or 0), row["country"], row["mission"]))
    countries = sorted(
        ((code, public_count(n)) for code, n in data["by_country"]),
        key=lambda item: (-item[1].rank, item[0]),
    )
    return {
        **report_summary_out(report),
        "introduction": frozen["introduction"],
        "closing": frozen["closing"],
        "as_of": data["as_of"],
        "sections": shown,
        "totals": data["totals"],
        "per_day": [{"day": day, "count": n} for day, n in data["per_day"].items()]
        if shown.get("chart")
        else [],
        "by_country": [
            {"country": code, "count": n.value, "fewer_than": n.fewer_than} for code, n in countries
        ]
        if shown.get("countries") or shown.get("map")
        else [],
        "by_mission": missions if shown.get("missions") else [],
        "events_by_city": [
            {"city": c["city"], "country": c["country"], "events": len(c["events"])}
            for c in data["events"]
        ]
        if shown.get("events")
        else [],
        "years": [
            {
                "year": y["year"],
                "campaign": y["slug"],
                "title": y["title"],
                "signatures": y["signatures"],
                "countries": y["countries"],
                "current": y["current"],
            }
            for y in data["years"]
        ]
        if shown.get("years")
        else [],
    }


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

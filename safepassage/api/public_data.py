"""What the public API answers with: which rows are public, and the shape each takes.

Nothing here names a signer or an RSVP, or carries anyone's e-mail address:
counts come from directory.tallies ("counted" = confirmed and not held for
review), events say how many people are coming and never who, and an event
whose address is for confirmed RSVPs only is placed no finer than its city
(as on its public page and in its iCalendar feeds).
"""

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.directory.models import Mission, MissionArea
from safepassage.events import services as events
from safepassage.events.models import Event
from safepassage.lib.smallcounts import PublicCount, public_count
from safepassage.reports.models import AfterActionReport
from safepassage.reports.stats import stats_for, summed
from safepassage.signatures import counter


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- Campaigns ------------------------------------------------------------------------


def public_campaigns() -> QuerySet[Campaign]:
    return (
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.order_by("name")),
            Prefetch("petitions", queryset=Petition.objects.order_by("slug")),
        )
        .order_by("-year", "title", "pk")
    )


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


# --- Counts ---------------------------------------------------------------------------


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


# --- Petitions ------------------------------------------------------------------------


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
        "confirmed_count": counter.confirmed_count(petition) if count is None else count,
        "opens_at": petition.opens_at,
        "closes_at": petition.closes_at,
        "is_open": petition.is_open(),
        "url": absolute(petition.get_absolute_url()),
    }


# --- Events ---------------------------------------------------------------------------


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


# --- Missions -------------------------------------------------------------------------


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


# --- After-action reports -------------------------------------------------------------


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
        "url": absolute(reverse("reports:report", args=[slug])),
        "pdf_url": absolute(reverse("reports:report_pdf", args=[slug])),
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

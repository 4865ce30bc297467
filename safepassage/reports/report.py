"""The after-action report: its figures built from the database, frozen when published.

``build_data`` gathers what the coalition may publish about a campaign: the
counted signatures (from the cached CampaignStats, refreshed on publishing,
with paper signatures apart), by day, country and mission; each mission's
delivery status and reply; the public events by city; the photos marked
publishable; refusals and responses; earlier years of the same campaign.
It keeps only codes and numbers where it can (country codes, status values),
so the same snapshot reads in every language. Nothing in it names a signer,
an RSVP, a coordinator or whoever handed the petition over, and delivery
notes stay private.

``publish`` freezes the title, the texts, the section switches and those
figures into ``AfterActionReport.snapshot``; the public page, the PDF and
the API read only that, so the published report stays as it was until an
organiser publishes again. ``present`` turns a snapshot (or a draft) into
what the templates show, with the server-drawn map and charts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.directory.models import Mission
from safepassage.events import services as event_services
from safepassage.events.models import Event
from safepassage.lib import geo, smallcounts
from safepassage.lib.geo import svgmap
from safepassage.lib.geo.timezones import mission_time_zone
from safepassage.lib.markdown import render_markdown
from safepassage.lib.smallcounts import public_count
from safepassage.reports import archive, charts
from safepassage.reports.models import AfterActionReport
from safepassage.reports.signals import report_published
from safepassage.reports.stats import refresh_stats, stats_for
from safepassage.signatures.embeds import embed_partners

SNAPSHOT_VERSION = 1
MAP_WIDTH = 680
IMAGE_EXTENSIONS = ("jpg", "png", "webp")


# --- Building the figures -------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local_date(when: dt.datetime | None, mission: Mission) -> str | None:
    """The date of a delivery where it happened (Tokyo's morning is the evening before in UTC)."""
    if when is None:
        return None
    zone = mission_time_zone(mission)
    if zone:
        import zoneinfo

        return when.astimezone(zoneinfo.ZoneInfo(zone)).date().isoformat()
    return when.astimezone(dt.UTC).date().isoformat()


def _missions(campaign: Campaign, by_mission: dict[str, int]) -> list[dict[str, Any]]:
    deliveries = {
        d.mission_id: d
        for d in Delivery.objects.filter(campaign=campaign).prefetch_related("responses")
    }
    ids = {int(pk) for pk, n in by_mission.items() if n > 0} | set(deliveries)
    missions = Mission.objects.in_bulk(list(ids))
    rows: list[dict[str, Any]] = []
    for pk in ids:
        mission = missions.get(pk)
        if mission is None:
            continue
        delivery = deliveries.get(pk)
        responses: list[Response] = list(delivery.responses.all()) if delivery else []
        rows.append(
            {
                "key": mission.key,
                "name": mission.name,
                "city": mission.city,
                "country": mission.host_country,
                "signatures": int(by_mission.get(str(pk), 0)),
                # "" when nothing was planned for the mission.
                "status": delivery.status if delivery else "",
                "delivered_on": _local_date(delivery.delivered_at, mission) if delivery else None,
                "responses": [
                    {
                        "received_on": response.received_on.isoformat(),
                        "channel": response.channel,
                        "summary": response.summary,
                    }
                    for response in sorted(responses, key=lambda r: (r.received_on, r.pk))
                ],
            }
        )
    rows.sort(key=lambda row: (-row["signatures"], row["country"], row["city"], row["name"]))
    return rows


def _events(campaign: Campaign) -> list[dict[str, Any]]:
    """Public, not cancelled events grouped by city; what the public event list shows."""
    cities: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in event_services.listed_events(campaign):
        if event.status == Event.Status.CANCELLED:
            continue
        cities[(event.country, event.city.strip())].append(
            {
                "title": event.title,
                "kind": event.kind,
                "status": event.status,
                "date": event.local_start().date().isoformat(),
                "host": event.host.name if event.host is not None else "",
            }
        )
    return [
        {"country": country, "city": city, "events": items}
        for (country, city), items in sorted(
            cities.items(), key=lambda item: (item[0][0], item[0][1].casefold())
        )
    ]


def publishable_photos(campaign: Campaign) -> QuerySet[Evidence]:
    """Evidence a coordinator marked for the public report, of this campaign's deliveries."""
    return (
        Evidence.objects.filter(delivery__campaign=campaign, publish=True)
        .select_related("delivery__mission")
        .order_by("uploaded_at", "pk")
    )


def _is_image(evidence: Evidence) -> bool:
    return evidence.file.name.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS


def _photos(campaign: Campaign) -> list[dict[str, Any]]:
    return [
        {
            "id": evidence.pk,
            "caption": evidence.caption,
            "mission": evidence.delivery.mission.name,
            "city": evidence.delivery.mission.city,
            "country": evidence.delivery.mission.host_country,
        }
        for evidence in publishable_photos(campaign)
        if _is_image(evidence)
    ]


def build_data(campaign: Campaign, *, refresh: bool = False) -> dict[str, Any]:
    """The report's figures as they are now; ``refresh`` recounts the signatures first."""
    stats = refresh_stats(campaign) if refresh else stats_for(campaign)
    missions = _missions(campaign, {str(k): int(v) for k, v in stats.by_mission.items()})
    events = _events(campaign)
    responses = [
        {"mission": m["name"], "city": m["city"], "country": m["country"], **response}
        for m in missions
        for response in m["responses"]
    ]
    responses.sort(key=lambda r: (r["received_on"], r["country"], r["mission"]))
    by_country = sorted(
        ((code, int(n)) for code, n in stats.by_country.items() if int(n) > 0),
        key=lambda item: (-item[1], item[0]),
    )
    done = {str(status) for status in Delivery.DONE}
    return {
        "version": SNAPSHOT_VERSION,
        "campaign": {
            "slug": campaign.slug,
            "title": campaign.title,
            "year": campaign.year,
            "day_of_action": campaign.day_of_action.isoformat(),
            "target_person": campaign.target_person,
            "target_title": campaign.target_title,
        },
        "as_of": stats.refreshed_at.astimezone(dt.UTC).isoformat(),
        "totals": {
            "signatures": stats.total,
            "paper": stats.paper_total,  # all of them; those with names are in "signatures"
            "paper_apart": stats.paper,  # legacy tallies, counted apart from "signatures"
            "countries": stats.countries,
            "missions_reached": stats.missions_reached,
            "unrouted": stats.unrouted,
            "deliveries": sum(1 for m in missions if m["status"] in done),
            "refusals": sum(1 for m in missions if m["status"] == Delivery.Status.REFUSED),
            "responses": len(responses),
            "events": sum(len(city["events"]) for city in events),
            "cities": len(events),
        },
        "per_day": dict(sorted(stats.per_day.items())),
        "by_country": [[code, n] for code, n in by_country],
        "by_collector": stats.collectors(),  # adds up to totals["paper"]
        "by_embed_partner": embed_partners(stats),  # part of totals["signatures"]
        "missions": missions,
        "events": events,
        "photos": _photos(campaign),
        "responses": responses,
        "years": archive.years(campaign, stats.grand_total, stats.countries),
    }


# --- Drafts and publishing ------------------------------------------------------------


def report_for(campaign: Campaign) -> AfterActionReport:
    """The campaign's report, or an unsaved draft with a default title."""
    report = AfterActionReport.objects.filter(campaign=campaign).first()
    if report is None:
        report = AfterActionReport(
            campaign=campaign,
            title=_("%(campaign)s: what happened") % {"campaign": campaign.title},
        )
    return report


def content(report: AfterActionReport, data: dict[str, Any]) -> dict[str, Any]:
    """Everything a reader sees: the report's texts and switches as they are now, and ``data``."""
    return {
        "title": report.title,
        "introduction": report.introduction,
        "closing": report.closing,
        "sections": report.sections(),
        "data": data,
    }


def content_sha256(frozen: dict[str, Any]) -> str:
    canonical = json.dumps(frozen, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def draft_content(report: AfterActionReport) -> dict[str, Any]:
    """What publishing now would show (figures from the cached statistics)."""
    return content(report, build_data(report.campaign))


@transaction.atomic
def publish(report: AfterActionReport, user: Any, *, refresh_data: bool = True) -> None:
    """Freeze the report's texts and switches, and its figures, for the public.

    With ``refresh_data`` (and always the first time) the figures are recounted
    now; without it a published report keeps the figures it was frozen with
    and only takes the new texts and switches.
    """
    previous = report.snapshot.get("data") if report.snapshot else None
    data = build_data(report.campaign, refresh=True) if refresh_data or not previous else previous
    report.snapshot = content(report, data)
    report.snapshot_sha256 = content_sha256(report.snapshot)
    report.status = AfterActionReport.Status.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = user if getattr(user, "is_authenticated", False) else None
    report.save()
    # In publish's transaction: the webhook deliveries it queues commit with the report.
    report_published.send(AfterActionReport, campaign_id=report.campaign_id, report_id=report.pk)


def unpublish(report: AfterActionReport) -> None:
    """Take the report off the public site; its last snapshot is kept for publishing again."""
    report.status = AfterActionReport.Status.DRAFT
    report.save(update_fields=["status", "updated_at"])


def published_report(slug: str) -> AfterActionReport | None:
    return (
        AfterActionReport.objects.select_related("campaign")
        .filter(campaign__slug=slug, status=AfterActionReport.Status.PUBLISHED)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .first()
    )


def still_published_photos(campaign: Campaign, frozen: dict[str, Any]) -> list[int]:
    """Photo ids of the snapshot that are still marked publishable.

    A photo frozen into a report disappears from it as soon as a coordinator
    withdraws it: the people in it matter more than an unchanging report.
    """
    wanted = [int(photo["id"]) for photo in frozen["data"].get("photos", [])]
    if not wanted:
        return []
    allowed = set(publishable_photos(campaign).filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in allowed]


# --- What the templates show ----------------------------------------------------------


def _worth_a_row(row: dict[str, Any]) -> bool:
    """Signatures, or a delivery that went beyond "planned", or a response."""
    planned_at_most = row["status"] in ("", Delivery.Status.PLANNED)
    return bool(row["signatures"] > 0 or not planned_at_most or row["responses"])


def _status_label(status: str) -> str:
    if not status:
        return _("nothing planned")
    try:
        return str(Delivery.Status(status).label)
    except ValueError:
        return status


def _channel_label(channel: str) -> str:
    try:
        return str(Response.Channel(channel).label)
    except ValueError:
        return channel


def _kind_label(kind: str) -> str:
    try:
        return str(Event.Kind(kind).label)
    except ValueError:
        return kind


def present(
    frozen: dict[str, Any],
    language: str,
    *,
    photo_ids: list[int],
    photo_src: Callable[[int], str],
) -> dict[str, Any]:
    """The template context of a report: localised names, Markdown as HTML, SVG drawings.

    ``photo_ids`` are the photos that may be shown (see still_published_photos);
    ``photo_src`` gives the address of one (a URL on the site, a resource of the PDF).
    """
    data = frozen["data"]
    sections = frozen["sections"]
    totals = data["totals"]
    total = int(totals["signatures"])
    by_country = {code: int(n) for code, n in data["by_country"]}

    def country(code: str) -> str:
        return geo.country_name(code, language)

    # The snapshot keeps exact figures (the organisers' record); what is shown hides
    # small ones and sorts them alike (lib/smallcounts.py).
    countries = [
        {"code": code, "name": country(code), "count": public_count(n)}
        for code, n in data["by_country"]
    ]
    for row in countries:
        row["share"] = row["count"].share(total)
    countries.sort(key=lambda row: (-row["count"].rank, row["name"].casefold()))
    missions = [
        {
            **row,
            "shown": public_count(row["signatures"]),
            "country_name": country(row["country"]),
            "status_label": _status_label(row["status"]),
            "responses": [
                {**r, "channel_label": _channel_label(r["channel"])} for r in row["responses"]
            ],
        }
        for row in data["missions"]
    ]
    missions.sort(
        key=lambda row: (-row["shown"].rank, row["country"], row["city"], row["name"], row["key"])
    )
    # One row per mission with signatures or a recorded delivery or response; the others
    # (no signatures, at most a delivery planned) are one line under the table.
    listed = [row for row in missions if _worth_a_row(row)]
    quiet = [row for row in missions if not _worth_a_row(row)]
    events = [
        {
            "city": city["city"],
            "country_name": country(city["country"]),
            "events": [{**e, "kind_label": _kind_label(e["kind"])} for e in city["events"]],
        }
        for city in data["events"]
    ]
    allowed = set(photo_ids)
    photos = [
        {**photo, "src": photo_src(photo["id"]), "country_name": country(photo["country"])}
        for photo in data["photos"]
        if photo["id"] in allowed
    ]
    years = data["years"]
    return {
        "title": frozen["title"],
        "introduction_html": mark_safe(render_markdown(frozen["introduction"])),  # noqa: S308
        "closing_html": mark_safe(render_markdown(frozen["closing"])),  # noqa: S308
        "sections": sections,
        "campaign": data["campaign"],
        "day_of_action": dt.date.fromisoformat(data["campaign"]["day_of_action"]),
        "as_of": dt.datetime.fromisoformat(data["as_of"]),
        "totals": totals,
        "by_collector": data.get("by_collector", []),  # not in older snapshots
        "by_embed_partner": data.get("by_embed_partner", []),  # nor in these
        "map_svg": _svg(
            svgmap.render_svg(
                shading=by_country,
                title=_("Signatures by country"),
                legend_label=_("Signatures"),
                width=MAP_WIDTH,
                fewer_than=smallcounts.threshold(),
                fewer_than_text=smallcounts.fewer_than_label(smallcounts.threshold()),
            )
        ),
        "chart_svg": _svg(
            charts.signatures_over_time(
                data["per_day"], title=_("Signatures per day and in total"), width=MAP_WIDTH
            )
        ),
        "countries": countries,
        "missions": listed,
        "missions_quiet": len(quiet),
        "missions_quiet_planned": sum(1 for row in quiet if row["status"]),
        "events": events,
        "photos": photos,
        "refusals": [m for m in missions if m["status"] == Delivery.Status.REFUSED],
        "responses": [
            {
                **r,
                "country_name": country(r["country"]),
                "channel_label": _channel_label(r["channel"]),
            }
            for r in data["responses"]
        ],
        "years": years,
        "years_svg": _svg(
            charts.year_bars(
                [(str(row["year"]), int(row["signatures"] or 0)) for row in years],
                title=_("Signatures by year"),
                current=str(data["campaign"]["year"]),
            )
            if len(years) > 1
            else ""
        ),
    }


def _svg(markup: str) -> SafeString:
    # Drawn by charts.py / lib/geo/svgmap.py, which escape every text they put in.
    return mark_safe(markup)  # noqa: S308

"""The public campaign home page: the petition, its counter, and where signatures come from.

Everything on the page comes from the campaign's CampaignStats row (refreshed
by the worker), never from counting signatures per request. What the page
shows besides the live counter is assembled once per language and kept in the
cache for PAGE_SECONDS; the world map is cached until the statistics change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.models import Mission
from safepassage.events import services as event_services
from safepassage.events.models import Event
from safepassage.lib import geo, smallcounts
from safepassage.lib.geo import svgmap
from safepassage.lib.smallcounts import PublicCount, public_count
from safepassage.reports import charts
from safepassage.reports.archive import past_campaigns
from safepassage.reports.models import PressKit
from safepassage.reports.stats import stats_for
from safepassage.signatures import counter
from safepassage.signatures.models import CampaignStats

PAGE_SECONDS = 15
MAP_SECONDS = 3600
# The page's column is about 720 pixels wide; a narrower map is also a lighter page.
MAP_WIDTH = 720
EVENTS_MAP_WIDTH = 400
TOP_MISSIONS = 20
EVENTS_SHOWN = 12


@dataclass(frozen=True)
class Row:
    """One line of a public table of counts (small figures hidden: lib/smallcounts.py)."""

    name: str
    count: PublicCount
    share: float | None  # percent of the total; None when the figure is hidden
    href: str = ""
    detail: str = ""


def signatures_map(stats: CampaignStats, language: str) -> str:
    """The choropleth of signatures by country, cached until the statistics are refreshed."""
    key = f"reports:map:{stats.campaign_id}:{stats.refreshed_at.isoformat()}:{language}"
    svg: str | None = cache.get(key)
    if svg is None:
        svg = svgmap.render_svg(
            shading=stats.by_country,
            title=_("Signatures by country"),
            legend_label=_("Signatures"),
            width=MAP_WIDTH,
            fewer_than=smallcounts.threshold(),
            fewer_than_text=smallcounts.fewer_than_label(smallcounts.threshold()),
        )
        cache.set(key, svg, MAP_SECONDS)
    return svg


def _country_rows(stats: CampaignStats, language: str) -> list[Row]:
    rows = []
    for code, n in stats.by_country.items():
        if n > 0:
            count = public_count(n)
            rows.append(Row(geo.country_name(code, language), count, count.share(stats.total)))
    rows.sort(key=lambda row: (-row.count.rank, row.name.casefold()))
    return rows


def _mission_rows(stats: CampaignStats, language: str) -> list[Row]:
    # Hidden figures rank alike, so which small mission is listed says nothing of its count.
    ranked = sorted(stats.by_mission.items(), key=lambda i: (-public_count(i[1]).rank, i[0]))
    top = ranked[:TOP_MISSIONS]
    missions = Mission.objects.in_bulk([int(pk) for pk, _n in top])
    rows = []
    for pk, n in top:
        mission = missions.get(int(pk))
        if mission is None:
            continue
        href = reverse("directory:missions", args=[mission.sending_state]) + f"#mission-{pk}"
        count = public_count(n)
        rows.append(
            Row(
                mission.name,
                count,
                count.share(stats.total),
                href=href,
                detail=", ".join(
                    part
                    for part in (mission.city, geo.country_name(mission.host_country, language))
                    if part
                ),
            )
        )
    return rows


def _event_rows(campaign: Campaign, language: str) -> tuple[list[dict[str, Any]], int, str]:
    events = [
        event.in_language(language)
        for event in event_services.listed_events(campaign).prefetch_related("texts")
        if event.status != Event.Status.CANCELLED
    ]
    rows = [
        {
            "title": event.title,
            "kind": event.get_kind_display(),
            "city": event.city,
            "country": geo.country_name(event.country, language),
            "when": event_services.format_span(event),
            "href": reverse("events:event", args=[event.uuid]),
        }
        for event in events[:EVENTS_SHOWN]
    ]
    title = _("Events of %(campaign)s") % {"campaign": campaign.title}
    svg = (
        event_services.events_map_svg(events, title, width=EVENTS_MAP_WIDTH, seconds=MAP_SECONDS)
        if events
        else ""
    )
    return rows, len(events), svg


def _page(slug: str, language: str) -> dict[str, Any] | None:
    """What the page shows apart from the live counter; None for no public campaign.

    Rendered HTML for the parts that are the same for every visitor, so a
    request renders little more than the site's frame and the counter.
    """
    found = (
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .prefetch_related("texts")
        .filter(slug=slug)
        .first()
    )
    if found is None:
        return None
    # Its title and addressee as written for this language (read only from here on).
    campaign = found.in_language(language)
    stats = stats_for(campaign)
    petition = (
        Petition.objects.filter(campaign=campaign)
        .select_related("campaign")
        .prefetch_related("texts", "campaign__texts")
        .order_by("pk")
        .first()
    )
    if petition is not None:
        petition = petition.in_language(language)
    events, events_total, events_map = _event_rows(campaign, language)
    sections = {
        "campaign": campaign,
        "stats": stats,
        "map_svg": signatures_map(stats, language),
        "chart_svg": charts.signatures_over_time(
            stats.per_day, title=_("Signatures per day and in total")
        ),
        "countries": _country_rows(stats, language),
        "missions": _mission_rows(stats, language),
        "events": events,
        "events_total": events_total,
        "events_map": events_map,
        "organisations": list(campaign.organisations.all()),
        "documents": list(
            campaign.supporting_documents.filter(public=True).order_by("title", "language", "pk")
        ),
        "archive": past_campaigns(campaign),
        "press_kit": PressKit.objects.filter(campaign=campaign, published=True).exists(),
    }
    text = petition.text(language) if petition else None
    return {
        "campaign": campaign,
        "stats": stats,
        "petition": petition,
        "text": text,
        "text_html": mark_safe(text.body_html()) if text else "",  # noqa: S308 (sanitised)
        # Everything below the petition, rendered once: it holds nothing per visitor.
        "sections": mark_safe(render_to_string("reports/_sections.html", sections)),  # noqa: S308
    }


def page_cache_key(slug: str, language: str) -> str:
    return f"reports:campaign-page:{slug}:{language}"


@require_GET
def campaign(request: HttpRequest, slug: str) -> HttpResponse:
    language = get_language() or "en"
    key = page_cache_key(slug, language)
    page: dict[str, Any] | None = cache.get(key)
    if page is None:
        page = _page(slug, language)
        if page is None:
            raise Http404
        cache.set(key, page, PAGE_SECONDS)
    petition: Petition | None = page["petition"]
    context = dict(page)
    if petition is not None:
        context["count"] = counter.confirmed_count(petition)
        context["is_open"] = petition.is_open()
    return render(request, "reports/campaign.html", context)

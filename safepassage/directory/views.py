"""Public pages of the directory: the list, "find my nearest mission" and the map."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import Campaign
from safepassage.directory import freshness, search
from safepassage.directory.freshness import MissionFreshness
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Field, MissionFieldVerification
from safepassage.directory.routing import Router, Step, find_for_text
from safepassage.lib import geo, smallcounts
from safepassage.lib.geo import freetext, svgmap
from safepassage.signatures.forms import CountryField, CountrySelect
from safepassage.signatures.models import CampaignStats

MAP_SECONDS = 60


class FinderForm(forms.Form):
    city = forms.CharField(
        label=_("Your city, town or postcode"),
        max_length=100,
        help_text=_(
            "For example “Waterloo, Ontario”, “Chicago, IL 60610”, “10117 Berlin” or “서울”."
        ),
        error_messages={"required": _("Please enter your city or town.")},
    )
    country = CountryField(
        label=_("Your country"),
        widget=CountrySelect,
        required=False,
        help_text=_("Not needed if you wrote it after your city (“Paris, France”)."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        city = cleaned.get("city", "")
        if city and not cleaned.get("country") and not freetext.parse(city).country:
            self.add_error("country", _("Please choose your country."))
        return cleaned


def _state_or_404(sending_state: str) -> str:
    state = sending_state.upper()
    if state not in geo.country_codes() or not Mission.objects.of(state).exists():
        raise Http404
    return state


def _campaign_for(state: str) -> Campaign | None:
    """The campaign whose signatures shade the map: the newest open one for this state."""
    return (
        Campaign.objects.filter(target_government=state, status=Campaign.Status.OPEN)
        .order_by("-year", "-pk")
        .first()
    )


def _map_svg(state: str, language: str) -> str:
    campaign = _campaign_for(state)
    version = Mission.objects.of(state).aggregate(v=Max("updated_at"))["v"]
    key = (
        "directory-map:"
        + hashlib.sha256(
            f"{state}:{campaign.pk if campaign else 0}:{version}:{language}".encode()
        ).hexdigest()
    )
    svg: str | None = cache.get(key)
    if svg is None:
        # The worker's cached aggregates (refreshed every housekeeping round): never a
        # count over the signature table here. Before the first refresh, no shading.
        stats = CampaignStats.objects.filter(campaign=campaign).first() if campaign else None
        shading = dict(stats.by_country) if stats else {}
        points = [
            svgmap.MapPoint(
                latitude=m.latitude,
                longitude=m.longitude,
                label=f"{m.name} ({m.city})" if m.city else m.name,
                href=f"#mission-{m.pk}",
                kind=m.kind,
            )
            for m in Mission.objects.of(state).open().exclude(latitude=None)
            if m.latitude is not None and m.longitude is not None
        ]
        svg = svgmap.render_svg(
            shading=shading,
            points=points,
            title=str(
                _("Missions of %(state)s and signatures by country")
                % {"state": geo.country_name(state, language)}
            ),
            legend_label=str(_("Signatures")),
            fewer_than=smallcounts.threshold(),
            fewer_than_text=smallcounts.fewer_than_label(smallcounts.threshold()),
        )
        cache.set(key, svg, MAP_SECONDS)
    return svg


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    states = sorted(set(Mission.objects.open().values_list("sending_state", flat=True)))
    campaign = Campaign.objects.filter(status=Campaign.Status.OPEN).order_by("-year").first()
    if campaign and campaign.target_government in states:
        return redirect("directory:missions", sending_state=campaign.target_government)
    language = get_language() or "en"
    choices = [(s, geo.country_name(s, language)) for s in states]
    return render(request, "directory/index.html", {"states": choices})


@dataclass(frozen=True)
class CountryGroup:
    code: str
    name: str
    rows: list[MissionFreshness]  # each mission with how fresh its address is
    search: str  # the country's names, which the list's script filters by as the server does


def _groups(state: str, language: str, query: str) -> tuple[list[CountryGroup], int]:
    """Open missions grouped by host country (those matching ``query``), and how many are open."""
    key = search.search_key(query)
    named = freetext.find_country(query) if key else None
    listed = (
        Mission.objects.of(state)
        .open()
        .prefetch_related("names")
        .order_by("host_country", "kind", "city", "name")
    )
    grouped_found: list[tuple[str, list[Mission]]] = []
    total = 0
    for code, grouped in groupby(listed, key=lambda m: m.host_country):
        items = list(grouped)
        total += len(items)
        found = [
            m.in_language(language)
            for m in items
            if m.host_country == named
            or search.matches(key, m, language)
            or search.matches(key, m.in_language(language), language)
        ]
        if found:
            grouped_found.append((code, found))
    fresh = freshness.freshness_of(
        [m for _code, found in grouped_found for m in found], timezone.localdate()
    )
    groups = []
    for code, found in grouped_found:
        name = geo.country_name(code, language)
        names = f"{name} {geo.country_name(code, 'en')} {code}"
        groups.append(CountryGroup(code, name, [fresh[m.pk] for m in found], names))
    groups.sort(key=lambda group: group.name.casefold())
    return groups, total


def _listing(state: str, language: str, query: str) -> tuple[str, int, int]:
    """The list's HTML, how many missions are open and how many it shows.

    The whole list (no search) is cached like the map, keyed by the directory's
    last change, its address confirmations and today's date (an address goes
    stale with time alone): rendering 280 missions is most of the page's time.
    """
    cache_key = ""
    if not query:
        version = Mission.objects.of(state).open().aggregate(v=Max("updated_at"), n=Count("id"))
        confirmed = MissionFieldVerification.objects.filter(
            mission__sending_state=state, field=Field.POSTAL_ADDRESS
        ).aggregate(v=Max("verified_at"), n=Count("id"))
        stamp = (
            f"{state}:{language}:{version['v']}:{version['n']}:{confirmed['v']}:{confirmed['n']}"
            f":{timezone.localdate().isoformat()}:{freshness.max_age_months()}"
        )
        cache_key = "directory-list:" + hashlib.sha256(stamp.encode()).hexdigest()
        cached = cache.get(cache_key)
        if cached is not None:
            html, total = cached
            return html, total, total
    groups, total = _groups(state, language, query)
    html = render_to_string("directory/_mission_list.html", {"groups": groups})
    if cache_key:
        cache.set(cache_key, (html, total), MAP_SECONDS)
    return html, total, sum(len(group.rows) for group in groups)


@require_GET
def missions(request: HttpRequest, sending_state: str) -> HttpResponse:
    """The list, grouped by host country, with a jump index and a search that needs no script."""
    state = _state_or_404(sending_state)
    language = get_language() or "en"
    query = " ".join(request.GET.get("q", "").split())[:100]
    listing, total, shown = _listing(state, language, query)
    context = {
        "state": state,
        "state_name": geo.country_name(state, language),
        "listing": mark_safe(listing),  # noqa: S308 (our template's output, escaped there)
        "total": total,
        "shown": shown,
        "query": query,
        "form": FinderForm(),
        "map_svg": _map_svg(state, language),
    }
    return render(request, "directory/missions.html", context)


@require_GET
def find(request: HttpRequest, sending_state: str) -> HttpResponse:
    state = _state_or_404(sending_state)
    language = get_language() or "en"
    form = FinderForm(request.GET or None)
    context: dict[str, object] = {
        "state": state,
        "state_name": geo.country_name(state, language),
        "form": form,
    }
    if form.is_valid():
        text = form.cleaned_data["city"].strip()
        finding = find_for_text(Router(state), text, form.cleaned_data["country"] or "")
        route = finding.route if finding else None
        mission = None
        if route and route.mission_id:
            mission = Mission.objects.filter(pk=route.mission_id).first()
        fresh = freshness.freshness_of([mission], timezone.localdate()) if mission else {}
        country = finding.query.country if finding else ""
        context.update(
            {
                "searched": True,
                "mission": mission,
                "freshness": fresh.get(mission.pk) if mission else None,
                "route": route,
                "finding": finding,
                "steps": Step,
                "country_name": geo.country_name(country, language) if country else "",
                "region_name": geo.subdivision_name(finding.query.region, language)
                if finding and finding.query.region
                else "",
                "city": text,
            }
        )
    return render(request, "directory/find.html", context)


@require_GET
def map_svg(request: HttpRequest, sending_state: str) -> HttpResponse:
    state = _state_or_404(sending_state)
    response = HttpResponse(
        _map_svg(state, get_language() or "en"), content_type="image/svg+xml; charset=utf-8"
    )
    response["Cache-Control"] = f"public, max-age={MAP_SECONDS}"
    return response


def missions_url(state: str) -> str:
    return reverse("directory:missions", kwargs={"sending_state": state})

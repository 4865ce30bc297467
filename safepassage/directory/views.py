"""Public pages of the directory: the list, "find my nearest mission" and the map."""

from __future__ import annotations

import hashlib
from itertools import groupby

from django import forms
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.directory.routing import Router, Step
from safepassage.lib import geo, smallcounts
from safepassage.lib.geo import svgmap
from safepassage.signatures.forms import CountryField, CountrySelect
from safepassage.signatures.models import CampaignStats

MAP_SECONDS = 60


class FinderForm(forms.Form):
    city = forms.CharField(
        label=_("Your city or town"),
        max_length=100,
        error_messages={"required": _("Please enter your city or town.")},
    )
    country = CountryField(
        label=_("Your country"),
        widget=CountrySelect,
        error_messages={"required": _("Please choose your country.")},
    )


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


@require_GET
def missions(request: HttpRequest, sending_state: str) -> HttpResponse:
    state = _state_or_404(sending_state)
    language = get_language() or "en"
    listed = Mission.objects.of(state).open().order_by("host_country", "kind", "city", "name")
    groups = [
        (geo.country_name(code, language), list(items))
        for code, items in groupby(listed, key=lambda m: m.host_country)
    ]
    groups.sort(key=lambda group: group[0].casefold())
    context = {
        "state": state,
        "state_name": geo.country_name(state, language),
        "groups": groups,
        "total": sum(len(items) for _, items in groups),
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
        country = form.cleaned_data["country"]
        city = form.cleaned_data["city"].strip()
        route = Router(state).route(country, "", city)
        mission = Mission.objects.filter(pk=route.mission_id).first() if route.mission_id else None
        context.update(
            {
                "searched": True,
                "mission": mission,
                "route": route,
                "steps": Step,
                "country_name": geo.country_name(country, language),
                "city": city,
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

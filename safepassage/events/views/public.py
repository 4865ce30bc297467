"""Public pages of the day of action: the event list and map, event pages, feeds, RSVPs."""

from __future__ import annotations

import logging
import uuid
import zoneinfo
from collections import defaultdict
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.campaigns.models import Campaign
from safepassage.events import ical, services
from safepassage.events.forms import COMMON_ZONES, FilterForm, RSVPForm, TimeZoneForm
from safepassage.events.models import RSVP, Event
from safepassage.lib import formtokens, geo

logger = logging.getLogger(__name__)

MAP_SECONDS = 60
# The RSVP form's token (lib/formtokens.py): it names the event; the page sets no cookie.
RSVP_TOKEN_SALT = "safepassage.events.rsvp-form"  # noqa: S105 (a salt, not a secret)
FEED_SECONDS = 300


def _campaign(slug: str) -> Campaign:
    campaign = services.public_campaign(slug)
    if campaign is None:
        raise Http404
    return campaign


def _event(event_uuid: uuid.UUID) -> Event:
    event = services.visible_event(event_uuid)
    if event is None:
        raise Http404
    return event


def city_slug(city: str) -> str:
    return slugify(city, allow_unicode=True) or "city"


def city_feed_url(campaign: Campaign, event: Event) -> str:
    return reverse("events:city_ics", args=[campaign.slug, event.country, city_slug(event.city)])


# --- The list ---------------------------------------------------------------------


@require_GET
def event_list(request: HttpRequest, campaign_slug: str) -> HttpResponse:
    language = get_language() or "en"
    campaign = _campaign(campaign_slug).in_language(language)
    events = [
        event.in_language(language)
        for event in services.listed_events(campaign).prefetch_related("texts")
    ]
    dates = sorted({event.local_start().date() for event in events})
    form = FilterForm(request.GET or None, dates=dates)
    kind, day = "", None
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        day = date.fromisoformat(form.cleaned_data["date"]) if form.cleaned_data["date"] else None
    shown = [
        event
        for event in events
        if (not kind or event.kind == kind) and (day is None or event.local_start().date() == day)
    ]
    people = services.people_by_event(shown)
    by_place: dict[str, dict[str, list[Event]]] = defaultdict(lambda: defaultdict(list))
    for event in shown:
        by_place[event.country][event.city].append(event)
    groups = sorted(
        (
            (
                geo.country_name(country, language),
                sorted(cities.items(), key=lambda item: item[0].casefold()),
            )
            for country, cities in by_place.items()
        ),
        key=lambda group: group[0].casefold(),
    )
    rows = {
        event.pk: {
            "event": event,
            "when": services.format_span(event),
            "people": people.get(event.pk, 0),
            "feed": city_feed_url(campaign, event),
        }
        for event in shown
    }
    context = {
        "campaign": campaign,
        "form": form,
        "filtered": bool(kind or day),
        "groups": [
            (country, [(city, [rows[e.pk] for e in items]) for city, items in cities])
            for country, cities in groups
        ],
        "total": len(shown),
        "map_svg": services.events_map_svg(
            shown, _("Events of %(campaign)s") % {"campaign": campaign.title}
        ),
    }
    return render(request, "events/list.html", context)


# --- One event ----------------------------------------------------------------------


def _event_context(request: HttpRequest, event: Event, form: RSVPForm | None) -> dict[str, object]:
    tz_form = TimeZoneForm(request.GET if "tz" in request.GET else None)
    viewer_time = ""
    if tz_form.is_bound and tz_form.is_valid() and tz_form.cleaned_data["tz"]:
        zone = tz_form.cleaned_data["tz"]
        if zone != event.time_zone:
            viewer_time = services.format_span(event, zoneinfo.ZoneInfo(zone))
    is_open = services.rsvp_open(event)
    left = services.remaining_capacity(event)
    if form is None and is_open and left != 0:
        form = RSVPForm(event=event)
    mission = event.mission
    mission_url = (
        reverse("directory:missions", args=[mission.sending_state]) + f"#mission-{mission.pk}"
        if mission is not None
        else ""
    )
    language = get_language() or "en"
    return {
        "event": event.in_language(language),
        "campaign": event.campaign.in_language(language),
        "when": services.format_span(event),
        "tz_form": tz_form,
        "viewer_time": viewer_time,
        "zones": sorted({*COMMON_ZONES, event.time_zone}),
        "address_public": services.address_public(event),
        "country_name": geo.country_name(event.country, language),
        "people": services.confirmed_people(event),
        "capacity_left": left,
        "is_open": is_open,
        "is_over": services.is_over(event),
        "form": form if is_open else None,
        "mission_url": mission_url,
        "listed": event.visibility == Event.Visibility.PUBLIC,
        "form_token": formtokens.issue(RSVP_TOKEN_SALT, str(event.pk)),
    }


@require_GET
def event_page(request: HttpRequest, event_uuid: uuid.UUID) -> HttpResponse:
    event = _event(event_uuid)
    return render(request, "events/event.html", _event_context(request, event, None))


@csrf_exempt  # a signed form token and the origin check instead (lib/formtokens.py)
@sensitive_post_parameters("email")
@require_http_methods(["GET", "POST"])
def rsvp(request: HttpRequest, event_uuid: uuid.UUID) -> HttpResponse:
    event = _event(event_uuid)
    if request.method == "GET":
        return redirect(reverse("events:event", args=[event.uuid]) + "#rsvp")
    if not formtokens.accepted(request, RSVP_TOKEN_SALT, str(event.pk)):
        again = reverse("events:event", args=[event.uuid]) + "#rsvp"
        context = {"event": event, "again": again}
        return render(request, "events/form_expired.html", context, status=403)
    if not services.rsvp_open(event):
        context = _event_context(request, event, None)
        return render(request, "events/event.html", context, status=409)
    form = RSVPForm(request.POST, event=event)
    if not form.is_valid():
        return render(request, "events/event.html", _event_context(request, event, form))
    language = get_language() or "en"
    try:
        services.submit(event, form.request(language))
    except Exception:
        logger.exception("could not store an RSVP to event %s", event.pk)
        return render(request, "events/busy.html", {"event": event}, status=503)
    # The same answer whether or not this person had RSVPed before.
    return redirect("events:rsvp_thanks", event_uuid=event.uuid)


@require_GET
def rsvp_thanks(request: HttpRequest, event_uuid: uuid.UUID) -> HttpResponse:
    event = _event(event_uuid)
    return render(
        request,
        "events/rsvp_thanks.html",
        {"event": event, "confirm_days": services.PENDING_DAYS},
    )


# --- Feeds ----------------------------------------------------------------------------


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=ical.CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = f"public, max-age={FEED_SECONDS}"
    return response


@require_GET
def campaign_ics(request: HttpRequest, campaign_slug: str) -> HttpResponse:
    campaign = _campaign(campaign_slug)
    language = get_language() or "en"
    events = services.listed_events(campaign)
    return _ics(ical.calendar(events, campaign.title, language), f"{campaign.slug}.ics")


@require_GET
def city_ics(request: HttpRequest, campaign_slug: str, country: str, city: str) -> HttpResponse:
    campaign = _campaign(campaign_slug)
    language = get_language() or "en"
    code = country.upper()
    events = [
        event
        for event in services.listed_events(campaign).filter(country=code)
        if city_slug(event.city) == city_slug(city)
    ]
    if not events:
        raise Http404
    name = f"{campaign.title}: {events[0].city}, {geo.country_name(code, language)}"
    filename = f"{campaign.slug}-{code.lower()}-{city_slug(city)}.ics"
    return _ics(ical.calendar(events, name, language), filename)


@require_GET
def event_ics(request: HttpRequest, event_uuid: uuid.UUID) -> HttpResponse:
    event = _event(event_uuid)
    language = get_language() or "en"
    response = _ics(ical.calendar([event], event.title, language), "event.ics")
    if event.visibility != Event.Visibility.PUBLIC:
        response["Cache-Control"] = "private, max-age=0"
        response["X-Robots-Tag"] = "noindex"
    return response


# --- Links from the RSVP mail ----------------------------------------------------------


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "events/link_invalid.html", status=404)


def _rsvp_context(rsvp: RSVP) -> dict[str, object]:
    event = rsvp.event
    language = get_language() or "en"
    return {
        "rsvp": rsvp,
        "event": event.in_language(language),
        "when": services.format_span(event),
        "country_name": geo.country_name(event.country, language),
        "people": services.confirmed_people(event),
        "cancel_url": services.link("cancel", rsvp),
        "page_url": services.link("view", rsvp),
        "ics_url": reverse(
            "events:rsvp_ics", args=[rsvp.uuid, services.link_token("view", rsvp.uuid)]
        ),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def rsvp_confirm(request: HttpRequest, rsvp_uuid: uuid.UUID, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that open links must not confirm anyone."""
    found = services.from_link("confirm", rsvp_uuid, token)
    if found is None or services.pending_expired(found):
        return _invalid(request)
    if found.status == RSVP.Status.CONFIRMED:
        return redirect(services.link("view", found))
    outcome = None
    if request.method == "POST":
        outcome = services.confirm(found)
        if outcome in (services.Outcome.CONFIRMED, services.Outcome.ALREADY):
            return redirect(services.link("view", found))
    context = _rsvp_context(found)
    context.update(
        {
            "full": outcome == services.Outcome.FULL,
            "closed": found.status == RSVP.Status.CANCELLED or not services.rsvp_open(found.event),
        }
    )
    status = 409 if outcome is not None else 200
    return render(request, "events/rsvp_confirm.html", context, status=status)


@never_cache
@require_GET
def rsvp_page(request: HttpRequest, rsvp_uuid: uuid.UUID, token: str) -> HttpResponse:
    """The RSVP's own page: the full address, once confirmed, is shown only here."""
    found = services.from_link("view", rsvp_uuid, token)
    if found is None or services.pending_expired(found):
        return _invalid(request)
    context = _rsvp_context(found)
    context["show_address"] = found.status == RSVP.Status.CONFIRMED
    return render(request, "events/rsvp_page.html", context)


@never_cache
@require_GET
def rsvp_ics(request: HttpRequest, rsvp_uuid: uuid.UUID, token: str) -> HttpResponse:
    """The event with its full address, for the calendar of a confirmed RSVP."""
    found = services.from_link("view", rsvp_uuid, token)
    if found is None or found.status != RSVP.Status.CONFIRMED:
        return _invalid(request)
    event = found.event
    content = ical.calendar([event], event.title, get_language() or "en", full=True)
    response = HttpResponse(content, content_type=ical.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="event.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def rsvp_cancel(request: HttpRequest, rsvp_uuid: uuid.UUID, token: str) -> HttpResponse:
    if not services.check_link_token("cancel", rsvp_uuid, token):
        return _invalid(request)
    found = services.from_link("cancel", rsvp_uuid, token)
    if found is None or found.status == RSVP.Status.CANCELLED:
        # Deleted (never confirmed) or cancelled before: either way it is off.
        return render(request, "events/rsvp_cancelled.html", {"rsvp": found})
    if request.method == "POST":
        services.cancel(found)
        return render(request, "events/rsvp_cancelled.html", {"rsvp": found})
    return render(request, "events/rsvp_cancel.html", _rsvp_context(found))

"""Day-of-action events for the demo campaign, at the missions of the seed campaign's cities."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.events.models import Event

PUBLIC, RSVP = Event.AddressVisibility.PUBLIC, Event.AddressVisibility.RSVP

# (key, kind, title, city, country, time zone, local start hour, mission city, address shown)
DEMO_EVENTS = [
    ("vigil-washington", Event.Kind.VIGIL, "Candlelight vigil and reading of names",
     "Washington", "US", "America/New_York", 20, "Washington, D.C.", PUBLIC),
    ("protest-chicago", Event.Kind.PROTEST, "Protest in front of the consulate",
     "Chicago", "US", "America/Chicago", 11, "Chicago", PUBLIC),
    ("delivery-seoul", Event.Kind.DELIVERY, "Petition delivery to the embassy",
     "Seoul", "KR", "Asia/Seoul", 10, "Seoul", PUBLIC),
    ("solidarity-berlin", Event.Kind.SOLIDARITY, "Solidarity gathering",
     "Berlin", "DE", "Europe/Berlin", 18, "", RSVP),
]  # fmt: skip


# The same lead as core.demo.DEMO_LEAD_DAYS, for a campaign whose day has passed.
LEAD_DAYS = 24


def _demo_day(campaign: Campaign, today: dt.date | None = None) -> dt.date:
    """The day of action, or, once it has passed, a day a few weeks ahead, so RSVPs work.

    The demo campaign loaded by ``manage.py load_demo`` has its day of action
    ahead already (core/demo.py), so its events fall on that day.
    """
    today = today or timezone.localdate()
    if campaign.day_of_action >= today:
        return campaign.day_of_action
    return today + dt.timedelta(days=LEAD_DAYS)


def load_demo_events(campaign: Campaign, *, today: dt.date | None = None) -> int:
    """Create the demo events once (matched on title and city); returns how many were new.

    Loading them again moves them to the campaign's (new) day of action.
    """
    created = 0
    day = _demo_day(campaign, today)
    for _key, kind, title, city, country, zone, hour, mission_city, shown in DEMO_EVENTS:
        mission = None
        if mission_city:
            mission = (
                Mission.objects.of(campaign.target_government)
                .open()
                .filter(host_country=country, city=mission_city)
                .order_by("kind")
                .first()
            )
        local = dt.datetime.combine(day, dt.time(hour))
        starts = local.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        event, new = Event.objects.get_or_create(
            campaign=campaign,
            title=title,
            city=city,
            defaults={
                "kind": kind,
                "country": country,
                "time_zone": zone,
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(hours=2),
                "mission": mission,
                "latitude": mission.latitude if mission else None,
                "longitude": mission.longitude if mission else None,
                "venue": mission.name if mission else "",
                "address": mission.postal_address if mission else "",
                "address_visibility": shown,
                "status": Event.Status.CONFIRMED,
                "description": "A demo event of the day of action.",
            },
        )
        if not new and event.starts_at != starts:
            Event.objects.filter(pk=event.pk).update(
                starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
            )
        created += new
    return created

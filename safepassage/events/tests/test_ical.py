"""iCalendar feeds, parsed back with the icalendar library: times, zones, privacy, round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from safepassage.events import ical
from safepassage.events.models import Event
from safepassage.events.tests.test_events import CHICAGO, NEW_YORK, at, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(petition):
    campaign = petition.campaign
    made = {}
    for key, city, zone, local in (
        ("dc-sep", "Washington", NEW_YORK, "2026-09-24 20:00"),
        ("chi-sep", "Chicago", CHICAGO, "2026-09-24 11:00"),
        ("dc-nov", "Washington", NEW_YORK, "2026-11-05 20:00"),
        ("chi-nov", "Chicago", CHICAGO, "2026-11-05 11:00"),
    ):
        made[key] = make_event(
            campaign,
            title=f"Event {key}",
            city=city,
            time_zone=zone,
            starts_at=at(local, zone),
            ends_at=at(local, zone).replace(hour=at(local, zone).hour + 1),
        )
    made["hidden"] = make_event(
        campaign,
        title="Event hidden address",
        city="Chicago",
        time_zone=CHICAGO,
        starts_at=at("2026-09-24 18:00", CHICAGO),
        ends_at=None,
        address_visibility=Event.AddressVisibility.RSVP,
        venue="Back room of the bookshop",
        address="77 Quiet Street",
        latitude=41.9,
        longitude=-87.6,
        status=Event.Status.PLANNED,
    )
    made["cancelled"] = make_event(
        campaign, title="Event called off", status=Event.Status.CANCELLED
    )
    made["unlisted"] = make_event(
        campaign, title="Event unlisted", visibility=Event.Visibility.UNLISTED
    )
    return made


def parse(raw: bytes) -> Any:
    """A parsed calendar, typed loosely: icalendar's property types are a wide union."""
    return icalendar.Calendar.from_ical(raw)


def fetch(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return parse(response.content)


def by_summary(calendar: Any) -> dict[str, Any]:
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def campaign_feed(petition) -> str:
    return reverse("events:campaign_ics", args=[petition.campaign.slug])


@pytest.mark.parametrize(
    ("key", "zone", "local", "utc", "abbreviation"),
    [
        ("dc-sep", NEW_YORK, "2026-09-24 20:00", "2026-09-25 00:00", "EDT"),
        ("chi-sep", CHICAGO, "2026-09-24 11:00", "2026-09-24 16:00", "CDT"),
        ("dc-nov", NEW_YORK, "2026-11-05 20:00", "2026-11-06 01:00", "EST"),
        ("chi-nov", CHICAGO, "2026-11-05 11:00", "2026-11-05 17:00", "CST"),
    ],
)
def test_times_come_back_as_the_local_time_and_the_right_instant(
    client, petition, events, key, zone, local, utc, abbreviation
):
    vevent = by_summary(fetch(client, campaign_feed(petition)))[f"Event {key}"]
    start = vevent["DTSTART"]
    assert start.params["TZID"] == zone
    value = start.dt
    assert value.replace(tzinfo=None) == datetime.fromisoformat(local)
    assert value.astimezone(UTC) == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert value.tzname() == abbreviation
    assert vevent["DTEND"].dt - value == (datetime(2000, 1, 1, 1) - datetime(2000, 1, 1))


def test_the_feed_carries_a_vtimezone_for_each_zone_with_both_offsets(client, petition, events):
    calendar = fetch(client, campaign_feed(petition))
    zones = {str(tz["TZID"]): tz for tz in calendar.walk("VTIMEZONE")}
    assert set(zones) == {NEW_YORK, CHICAGO}
    assert calendar.get_missing_tzids() == set()
    new_york = zones[NEW_YORK]
    names = {str(part["TZNAME"]) for part in new_york.subcomponents}
    assert {"EDT", "EST"} <= names
    # The VTIMEZONE alone (not the system's zone database) gives the right instants.
    tz = new_york.to_tz(lookup_tzid=False)
    assert datetime(2026, 9, 24, 20, tzinfo=tz).astimezone(UTC) == datetime(2026, 9, 25, tzinfo=UTC)
    assert datetime(2026, 11, 5, 20, tzinfo=tz).astimezone(UTC) == datetime(
        2026, 11, 6, 1, tzinfo=UTC
    )


def test_every_event_has_the_required_properties(client, petition, events, settings):
    settings.SITE_URL = "https://petition.example.org"
    calendar = fetch(client, campaign_feed(petition))
    assert str(calendar["VERSION"]) == "2.0"
    assert "safepassage" in str(calendar["PRODID"])
    found = by_summary(calendar)
    dc = found["Event dc-sep"]
    assert str(dc["UID"]) == f"{events['dc-sep'].uuid}@petition.example.org"
    assert dc["DTSTAMP"].dt.tzinfo is not None
    assert str(dc["URL"]) == f"https://petition.example.org/e/{events['dc-sep'].uuid}/"
    assert str(dc["STATUS"]) == "CONFIRMED"
    assert str(dc["DESCRIPTION"]) == (
        "We read the names.\nBring a candle.\n\nCall the coalition office"
    )
    assert str(dc["LOCATION"]) == (
        "Lafayette Square, 1600 Pennsylvania Avenue NW, Washington, United States"
    )
    assert str(found["Event hidden address"]["STATUS"]) == "TENTATIVE"
    assert str(found["Event called off"]["STATUS"]) == "CANCELLED"


def test_uids_are_stable_between_fetches(client, petition, events):
    first = {str(e["UID"]) for e in fetch(client, campaign_feed(petition)).walk("VEVENT")}
    second = {str(e["UID"]) for e in fetch(client, campaign_feed(petition)).walk("VEVENT")}
    assert first == second and len(first) == 6


def test_an_address_for_rsvps_only_stays_out_of_the_feed(client, petition, events):
    response = client.get(campaign_feed(petition))
    raw = response.content.decode()
    assert "77 Quiet Street" not in raw and "bookshop" not in raw
    hidden = by_summary(parse(response.content))["Event hidden address"]
    assert str(hidden["LOCATION"]) == "Chicago, United States"
    assert "GEO" not in hidden  # coordinates would give the venue away
    single = fetch(client, reverse("events:event_ics", args=[events["hidden"].uuid]))
    assert str(single.walk("VEVENT")[0]["LOCATION"]) == "Chicago, United States"


def test_unlisted_events_are_in_no_feed_but_have_their_own(client, petition, events):
    assert "Event unlisted" not in by_summary(fetch(client, campaign_feed(petition)))
    city = reverse("events:city_ics", args=[petition.campaign.slug, "US", "washington"])
    assert "Event unlisted" not in by_summary(fetch(client, city))
    own = fetch(client, reverse("events:event_ics", args=[events["unlisted"].uuid]))
    assert list(by_summary(own)) == ["Event unlisted"]


def test_the_city_feed_has_that_city_only(client, petition, events):
    chicago = fetch(
        client, reverse("events:city_ics", args=[petition.campaign.slug, "US", "chicago"])
    )
    assert set(by_summary(chicago)) == {"Event chi-sep", "Event chi-nov", "Event hidden address"}
    assert {str(tz["TZID"]) for tz in chicago.walk("VTIMEZONE")} == {CHICAGO}
    # The country code in either case; an unknown city is 404.
    assert client.get(f"/events/{petition.campaign.slug}/us/chicago.ics").status_code == 200
    assert client.get(f"/events/{petition.campaign.slug}/US/atlantis.ics").status_code == 404


def test_a_city_with_spaces_and_other_scripts_has_a_feed(client, petition):
    make_event(
        petition.campaign,
        title="서울 집회",
        city="서울 특별시",
        country="KR",
        time_zone="Asia/Seoul",
        starts_at=at("2026-09-24 14:00", "Asia/Seoul"),
        ends_at=None,
    )
    html = client.get(reverse("events:list", args=[petition.campaign.slug])).content.decode()
    url = reverse("events:city_ics", args=[petition.campaign.slug, "KR", "서울-특별시"])
    assert url in html
    [vevent] = fetch(client, url).walk("VEVENT")
    assert vevent["DTSTART"].dt == datetime(2026, 9, 24, 14, tzinfo=ZoneInfo("Asia/Seoul"))


def test_the_feed_survives_a_round_trip(client, petition, events):
    raw = client.get(campaign_feed(petition)).content
    parsed = parse(raw)
    again = parse(parsed.to_ical())
    assert again == parsed
    assert again.to_ical() == parsed.to_ical()
    for first, second in zip(parsed.walk("VEVENT"), again.walk("VEVENT"), strict=True):
        assert first["DTSTART"].dt == second["DTSTART"].dt
        assert first["DTSTART"].params["TZID"] == second["DTSTART"].params["TZID"]


def test_lines_are_folded_and_crlf_terminated(client, petition, events):
    raw = client.get(campaign_feed(petition)).content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))


def test_the_component_builder_directly(petition):
    event = make_event(
        petition.campaign, time_zone=CHICAGO, starts_at=at("2026-09-24 11:00", CHICAGO)
    )
    vevent: Any = ical.component(event)
    assert vevent["DTSTART"].to_ical() == b"20260924T110000"
    assert vevent["DTSTART"].params["TZID"] == CHICAGO

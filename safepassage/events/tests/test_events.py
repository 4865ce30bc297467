"""The public event list and pages, local times across DST, and the events admin."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from personas import user_with_role
from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.directory.models import Mission
from safepassage.events import services
from safepassage.events.admin import EventAdmin
from safepassage.events.forms import EventAdminForm
from safepassage.events.models import RSVP, Event

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
NEW_YORK = "America/New_York"
CHICAGO = "America/Chicago"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def at(text: str, zone: str) -> datetime:
    """A wall-clock time ("2026-09-24 20:00") in ``zone``, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def make_event(campaign: Campaign, **overrides: Any) -> Event:
    data: dict[str, Any] = {
        "kind": Event.Kind.VIGIL,
        "title": "Candlelight vigil at the embassy",
        "description": "We read the names.\nBring a candle.",
        "venue": "Lafayette Square",
        "address": "1600 Pennsylvania Avenue NW",
        "city": "Washington",
        "country": "US",
        "time_zone": NEW_YORK,
        "starts_at": at("2026-09-24 20:00", NEW_YORK),
        "ends_at": at("2026-09-24 21:30", NEW_YORK),
        "status": Event.Status.CONFIRMED,
        "contact": "Call the coalition office",
    }
    data.update(overrides)
    return Event.objects.create(campaign=campaign, **data)


def soon(zone: str = NEW_YORK, days: int = 30, hour: int = 19) -> datetime:
    """A time in the future (RSVPs close when an event is over), at a whole hour."""
    local = (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def page(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def list_url(campaign: Campaign) -> str:
    return reverse("events:list", args=[campaign.slug])


def event_url(event: Event) -> str:
    return reverse("events:event", args=[event.uuid])


def outside_map(html: str) -> str:
    return re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


# --- Local times ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "zone", "utc", "shown"),
    [
        (
            "2026-09-24 20:00",
            NEW_YORK,
            "2026-09-25 00:00",
            "Thursday 24 September 2026, 20:00 EDT (America/New_York)",
        ),
        (
            "2026-09-24 11:00",
            CHICAGO,
            "2026-09-24 16:00",
            "Thursday 24 September 2026, 11:00 CDT (America/Chicago)",
        ),
        (
            "2026-11-05 20:00",
            NEW_YORK,
            "2026-11-06 01:00",
            "Thursday 5 November 2026, 20:00 EST (America/New_York)",
        ),
        (
            "2026-11-05 11:00",
            CHICAGO,
            "2026-11-05 17:00",
            "Thursday 5 November 2026, 11:00 CST (America/Chicago)",
        ),
    ],
)
def test_the_event_page_shows_local_time_with_its_zone(client, petition, local, zone, utc, shown):
    event = make_event(petition.campaign, time_zone=zone, starts_at=at(local, zone), ends_at=None)
    event.refresh_from_db()
    assert event.starts_at == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    html = page(client, event_url(event))
    assert f'<span id="event-time">{shown}</span>' in html


def test_the_viewer_may_ask_for_the_time_in_their_zone(client, petition):
    event = make_event(petition.campaign)
    html = page(client, event_url(event), tz="Asia/Seoul")
    viewer = re.search(r'<span id="viewer-time">(.*?)</span>', html, re.S)
    assert viewer
    assert "In Asia/Seoul:" in viewer.group(1)
    assert "Friday 25 September 2026, 09:00 KST (Asia/Seoul) \u2013 10:30 KST" in viewer.group(1)
    # the event's own time stays first
    assert "Thursday 24 September 2026, 20:00 EDT (America/New_York)" in html


def test_an_unknown_zone_is_refused_politely(client, petition):
    event = make_event(petition.campaign)
    html = page(client, event_url(event), tz="Mars/Olympus_Mons")
    assert 'id="viewer-time"' not in html
    assert "is not a time zone we know" in html
    assert "Mars/Olympus_Mons" in html  # kept in the input, escaped
    assert page(client, event_url(event), tz="<script>").count("<script>") == 0


def test_a_span_over_midnight_names_both_days(petition):
    event = make_event(
        petition.campaign,
        starts_at=at("2026-09-24 22:00", NEW_YORK),
        ends_at=at("2026-09-25 01:00", NEW_YORK),
    )
    assert services.format_span(event) == (
        "Thursday 24 September 2026, 22:00 EDT (America/New_York) \u2013 "
        "Friday 25 September 2026, 01:00 EDT (America/New_York)"
    )


def test_local_to_utc_across_the_changes_of_clock():
    assert services.local_to_utc(datetime(2026, 11, 1, 0, 30), NEW_YORK) == datetime(
        2026, 11, 1, 4, 30, tzinfo=UTC
    )
    # 01:30 happens twice on 1 November: the first, still on summer time (EDT).
    assert services.local_to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    assert services.local_to_utc(datetime(2026, 11, 1, 3, 0), NEW_YORK) == datetime(
        2026, 11, 1, 8, 0, tzinfo=UTC
    )
    # 02:30 never happens on 8 March.
    with pytest.raises(ValueError, match="does not exist"):
        services.local_to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK)


# --- The event page ---------------------------------------------------------------------


def test_the_event_page_shows_everything_public_escaped(client, petition):
    host = Organisation.objects.get(slug="demo-nk-freedom-coalition")
    mission = Mission.objects.create(
        key="cn-embassy-washington",
        sending_state="CN",
        kind=Mission.Kind.EMBASSY,
        name="Embassy of China in Washington",
        host_country="US",
        city="Washington",
        source="test",
    )
    event = make_event(
        petition.campaign,
        title="Vigil <b>for</b> refugees",
        description="First line\nSecond <script>alert(1)</script> line\n\nNew paragraph",
        host=host,
        mission=mission,
        capacity=50,
    )
    html = page(client, event_url(event))
    assert "<h1>Vigil &lt;b&gt;for&lt;/b&gt; refugees</h1>" in html
    assert "<p>First line<br>Second &lt;script&gt;alert(1)&lt;/script&gt; line</p>" in html
    assert "<p>New paragraph</p>" in html
    assert "<script>alert" not in html
    assert "Lafayette Square" in html and "1600 Pennsylvania Avenue NW" in html
    assert "Washington, United States" in html
    assert host.name in html and 'href="https://example.org/"' in html
    assert f'href="/missions/CN/#mission-{mission.pk}"' in html
    assert "Call the coalition office" in html
    assert "<dd>Confirmed</dd>" in html
    assert "Vigil · " in html
    assert '<strong id="rsvp-count">0</strong>' in html
    assert "50 places left" in html
    assert reverse("events:event_ics", args=[event.uuid]) in html


def test_counts_are_people_in_confirmed_rsvps_and_never_names(client, petition):
    event = make_event(petition.campaign, starts_at=soon(), ends_at=None)
    for n, (status, people) in enumerate(
        [("confirmed", 3), ("confirmed", 1), ("pending", 5), ("cancelled", 2)]
    ):
        RSVP.objects.create(
            event=event,
            name=f"Secret Person {n}",
            email_hash=f"{n:064x}",
            people=people,
            status=status,
            consent_version="t",
        )
    html = page(client, event_url(event))
    assert '<strong id="rsvp-count">4</strong>' in html
    assert "Secret Person" not in html
    listing = page(client, list_url(petition.campaign))
    assert "4 people coming" in listing
    assert "Secret Person" not in listing


def test_an_address_for_rsvps_only_is_not_on_public_pages(client, petition):
    event = make_event(
        petition.campaign,
        address_visibility=Event.AddressVisibility.RSVP,
        venue="The secret church hall",
        address="12 Hidden Lane",
        latitude=38.8995,
        longitude=-77.0366,
    )
    for url in (event_url(event), list_url(petition.campaign)):
        html = page(client, url)
        assert "12 Hidden Lane" not in html, url
        assert "secret church hall" not in html, url
    html = page(client, event_url(event))
    assert "Washington, United States" in html
    assert "The exact place is given to people whose RSVP is confirmed." in html
    # On the map, the event sits at the city's centre rather than at its venue.
    assert services.map_position(event) != (38.8995, -77.0366)


def test_a_cancelled_event_says_so_and_takes_no_rsvps(client, petition):
    event = make_event(
        petition.campaign, status=Event.Status.CANCELLED, starts_at=soon(), ends_at=None
    )
    html = page(client, event_url(event))
    assert "This event is cancelled." in html
    assert 'id="rsvp-form"' not in html
    assert "cancelled" in page(client, list_url(petition.campaign))


def test_an_event_of_a_draft_campaign_is_not_found(client, petition):
    event = make_event(petition.campaign)
    Campaign.objects.filter(pk=petition.campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(event_url(event)).status_code == 404
    assert client.get(list_url(petition.campaign)).status_code == 404
    assert client.get(reverse("events:event_ics", args=[event.uuid])).status_code == 404


# --- The list ------------------------------------------------------------------------------


@pytest.fixture
def several(petition):
    campaign = petition.campaign
    return {
        "dc": make_event(campaign),
        "chicago": make_event(
            campaign,
            title="Petition delivery in Chicago",
            kind=Event.Kind.DELIVERY,
            city="Chicago",
            time_zone=CHICAGO,
            starts_at=at("2026-09-24 11:00", CHICAGO),
            ends_at=None,
            venue="Consulate-General",
        ),
        "seoul": make_event(
            campaign,
            title="서울 집회",
            kind=Event.Kind.PROTEST,
            city="Seoul",
            country="KR",
            time_zone="Asia/Seoul",
            starts_at=at("2026-09-25 12:00", "Asia/Seoul"),
            ends_at=None,
        ),
        "unlisted": make_event(
            campaign,
            title="Private planning vigil",
            visibility=Event.Visibility.UNLISTED,
        ),
    }


def test_the_list_groups_public_events_by_country_and_city(client, petition, several):
    html = page(client, list_url(petition.campaign))
    text = outside_map(html)
    assert "3 events" in text
    assert text.index("<h2>South Korea</h2>") < text.index("<h2>United States</h2>")
    us = text[text.index("<h2>United States</h2>") :]
    assert us.index("<h3>Chicago") < us.index("<h3>Washington")
    assert "Thursday 24 September 2026, 11:00 CDT (America/Chicago)" in text
    assert "Private planning vigil" not in html  # unlisted: not on the list nor the map
    # reachable by its link all the same
    assert "Private planning vigil" in page(client, event_url(several["unlisted"]))


def test_country_names_follow_the_language(client, petition, several):
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    html = outside_map(page(client, list_url(petition.campaign)))
    assert "<h2>미국</h2>" in html, html[:2000]
    assert "<h2>대한민국</h2>" in html or "<h2>한국</h2>" in html
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    html = outside_map(page(client, list_url(petition.campaign)))
    assert "<h2>Vereinigte Staaten</h2>" in html and "United States" not in html
    # A language the interface is not ready in gets English, and English country names,
    # as its lang attribute says (lib/languages.py).
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = outside_map(page(client, list_url(petition.campaign), lang="tlh"))
    assert "<h2>United States</h2>" in html and "Vereinigte Staaten" not in html


def test_the_list_filters_by_kind_and_date_without_script(client, petition, several):
    html = outside_map(page(client, list_url(petition.campaign), kind="delivery"))
    assert "Petition delivery in Chicago" in html
    assert "Candlelight vigil" not in html and "서울 집회" not in html
    assert '<option value="delivery" selected>' in html
    # The date is the event's local date: Seoul's event is on the 25th there.
    html = outside_map(page(client, list_url(petition.campaign), date="2026-09-25"))
    assert "서울 집회" in html and "Candlelight vigil" not in html
    html = outside_map(page(client, list_url(petition.campaign), date="2026-09-24", kind="vigil"))
    assert "Candlelight vigil" in html and "Chicago" not in html.split("</form>")[1]
    # Nonsense is ignored, not an error page.
    html = outside_map(page(client, list_url(petition.campaign), kind="party", date="tomorrow"))
    assert "3 events" in html and "Some filters were not understood" in html


def test_the_map_has_a_linked_point_per_placed_event(client, petition, several):
    html = page(client, list_url(petition.campaign))
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg
    root = ET.fromstring(svg.group(0))  # noqa: S314 (our own output)
    links = {
        a.get("href"): a.find(f"{SVG}circle/{SVG}title").text  # type: ignore[union-attr]
        for a in root.iter(f"{SVG}a")
    }
    assert links[event_url(several["dc"])] == "Candlelight vigil at the embassy (Washington)"
    assert links[event_url(several["chicago"])] == "Petition delivery in Chicago (Chicago)"
    assert links[event_url(several["seoul"])] == "서울 집회 (Seoul)"
    assert event_url(several["unlisted"]) not in links


def test_an_unknown_campaign_is_404(client, db):
    assert client.get("/events/no-such-campaign/").status_code == 404


# --- The admin -----------------------------------------------------------------------------


def admin_data(campaign: Campaign, **overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaign": campaign.pk,
        "kind": "vigil",
        "title": "Vigil",
        "description": "",
        "status": "planned",
        "time_zone": NEW_YORK,
        "starts_local": "2026-09-24T20:00",
        "ends_local": "2026-09-24T21:30",
        "venue": "",
        "address": "",
        "address_visibility": "public",
        "city": "Washington",
        "country": "US",
        "latitude": "",
        "longitude": "",
        "contact": "",
        "capacity": "",
        "visibility": "public",
        "texts-TOTAL_FORMS": "0",
        "texts-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-09-24T20:00", datetime(2026, 9, 25, 0, 0, tzinfo=UTC)),  # EDT, UTC-4
        ("2026-10-31T20:00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),  # the eve of the change
        ("2026-11-01T20:00", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),  # EST, UTC-5
        ("2027-03-14T20:00", datetime(2027, 3, 15, 0, 0, tzinfo=UTC)),  # EDT again
    ],
)
def test_the_admin_form_takes_local_times_around_dst(petition, local, utc):
    form = EventAdminForm(admin_data(petition.campaign, starts_local=local, ends_local=""))
    assert form.is_valid(), form.errors
    event = form.save()
    assert event.starts_at == utc
    assert event.ends_at is None
    # Editing shows the same local wall-clock time again, not UTC.
    again = EventAdminForm(instance=Event.objects.get(pk=event.pk))
    assert again["starts_local"].value() == datetime.fromisoformat(local)
    assert f'value="{local}"' in str(again["starts_local"])


def test_editing_keeps_local_time_when_the_zone_changes(petition):
    event = make_event(petition.campaign)
    data = admin_data(petition.campaign, time_zone=CHICAGO, starts_local="2026-11-05T11:00")
    data["ends_local"] = "2026-11-05T12:00"
    form = EventAdminForm(data, instance=event)
    assert form.is_valid(), form.errors
    form.save()
    event.refresh_from_db()
    assert event.starts_at == datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    assert event.local_start().strftime("%H:%M %Z") == "11:00 CST"
    assert event.ends_at == datetime(2026, 11, 5, 18, 0, tzinfo=UTC)


def test_the_admin_form_refuses_a_skipped_time_and_an_end_before_the_start(petition):
    form = EventAdminForm(admin_data(petition.campaign, starts_local="2027-03-14T02:30"))
    assert not form.is_valid()
    assert "does not exist in America/New_York" in str(form.errors["starts_local"])
    form = EventAdminForm(admin_data(petition.campaign, ends_local="2026-09-24T19:00"))
    assert not form.is_valid()
    assert "The end must be after the start." in str(form.errors["ends_local"])
    form = EventAdminForm(admin_data(petition.campaign, time_zone="Mars/Base"))
    assert not form.is_valid() and "time_zone" in form.errors


def test_the_admin_form_fills_missing_coordinates_from_the_gazetteer(petition):
    form = EventAdminForm(admin_data(petition.campaign, city="Chicago"))
    assert form.is_valid(), form.errors
    event = form.save()
    assert event.latitude == pytest.approx(41.85, abs=0.2)
    assert event.longitude == pytest.approx(-87.65, abs=0.2)
    form = EventAdminForm(admin_data(petition.campaign, latitude="1.5", longitude="2.5"))
    assert form.is_valid()
    assert (form.save().latitude, form.instance.longitude) == (1.5, 2.5)


@pytest.fixture
def people_and_events(petition):
    campaign = petition.campaign
    host = Organisation.objects.get(slug="demo-nk-freedom-coalition")
    dc = make_event(campaign, host=host, starts_at=soon(), ends_at=None)
    munich = make_event(
        campaign,
        city="München",
        country="DE",
        time_zone="Europe/Berlin",
        starts_at=soon("Europe/Berlin"),
        ends_at=None,
    )
    for event, name in ((dc, "Dana Doe"), (munich, "Max Mustermann")):
        RSVP.objects.create(
            event=event, name=name, email_hash=name.ljust(64, "0"), consent_version="t"
        )
    superuser = User.objects.create_superuser("root", password="x")
    partner = user_with_role(
        "partner", campaign, Role.Kind.PARTNER_EDITOR, is_staff=True, organisation=host
    )
    coordinator = user_with_role("coordinator", campaign, Role.Kind.COORDINATOR, is_staff=True)
    Assignment.objects.create(role=Role.objects.get(user=coordinator), country="DE", city="MÜNCHEN")
    stranger = User.objects.create_user(username="stranger", password="x", is_staff=True)
    return {
        "dc": dc,
        "munich": munich,
        "root": superuser,
        "partner": partner,
        "coordinator": coordinator,
        "stranger": stranger,
    }


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rsvp_names_in_the_admin_only_for_organisers_and_coordinators(people_and_events):
    p = people_and_events
    url = reverse("admin:events_rsvp_changelist")
    everything = admin_client(p["root"]).get(url).content.decode()
    assert "Dana Doe" in everything and "Max Mustermann" in everything
    coordinator = admin_client(p["coordinator"]).get(url).content.decode()
    assert "Max Mustermann" in coordinator and "Dana Doe" not in coordinator
    # A partner editor manages their organisation's event but never sees who comes.
    partner = admin_client(p["partner"])
    listing = partner.get(url)
    assert "Dana Doe" not in listing.content.decode()
    dana = RSVP.objects.get(name="Dana Doe")
    assert partner.get(reverse("admin:events_rsvp_change", args=[dana.pk])).status_code == 404
    assert partner.get(reverse("admin:events_event_change", args=[p["dc"].pk])).status_code == 200
    stranger = admin_client(p["stranger"])
    assert stranger.get(url).status_code == 403
    assert stranger.get(reverse("admin:events_event_changelist")).status_code == 403


def test_the_rsvp_admin_shows_no_email_field(people_and_events):
    p = people_and_events
    client = admin_client(p["root"])
    dana = RSVP.objects.get(name="Dana Doe")
    html = client.get(reverse("admin:events_rsvp_change", args=[dana.pk])).content.decode()
    assert "Dana Doe" in html
    assert "email" not in html.lower().replace("e-mail", "")
    assert dana.email_hash not in html


def test_event_admin_lists_only_manageable_events(people_and_events):
    p = people_and_events
    url = reverse("admin:events_event_changelist")
    partner = admin_client(p["partner"]).get(url).content.decode()
    coordinator = admin_client(p["coordinator"]).get(url).content.decode()
    assert "Washington" in partner and "München" not in partner
    assert "München" in coordinator and "Washington" not in coordinator


def test_a_partner_cannot_move_an_event_out_of_their_organisation(people_and_events, petition):
    p = people_and_events
    client = admin_client(p["partner"])
    event = p["dc"]
    data = admin_data(petition.campaign, title="Moved", starts_local="2027-09-24T20:00")
    data["ends_local"] = ""  # host left empty: no longer theirs
    response = client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "You may only keep events of your own campaign" in response.content.decode()
    event.refresh_from_db()
    assert event.title != "Moved"
    data["host"] = str(event.host_id)
    response = client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Moved"
    assert event.starts_at == datetime(2027, 9, 25, 0, 0, tzinfo=UTC)


def test_the_admin_add_page_works_for_an_organiser(people_and_events, petition):
    client = admin_client(people_and_events["root"])
    html = client.get(reverse("admin:events_event_add")).content.decode()
    assert 'type="datetime-local"' in html and '<datalist id="time-zones">' in html
    response = client.post(reverse("admin:events_event_add"), admin_data(petition.campaign))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Event.objects.filter(title="Vigil").exists()
    assert EventAdmin.local_start(None, Event.objects.get(title="Vigil")) == (  # type: ignore[arg-type]
        "Thursday 24 September 2026, 20:00 EDT (America/New_York)"
    )


def test_the_demo_has_the_seed_campaigns_events(petition):
    from safepassage.directory import bundled
    from safepassage.events.demo import load_demo_events

    bundled.import_prc()
    assert load_demo_events(petition.campaign) == 4
    assert load_demo_events(petition.campaign) == 0  # once
    vigil = Event.objects.get(city="Washington")
    assert vigil.local_start().strftime("%H:%M") == "20:00"
    assert vigil.local_start().date() >= timezone.localdate()  # RSVPs open in the demo
    assert vigil.mission is not None and vigil.mission.kind == "embassy"
    protest = Event.objects.get(city="Chicago")
    assert protest.local_start().strftime("%H:%M") == "11:00"
    assert Event.objects.get(city="Berlin").address_visibility == Event.AddressVisibility.RSVP

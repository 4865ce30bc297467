"""The demo always looks like a campaign in progress, whatever day it is loaded on."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from safepassage.core.demo import DEMO_LEAD_DAYS, load_demo
from safepassage.core.demo_activity import (
    PENDING,
    SIGNATURES,
    load_demo_signatures,
    plan_demo_deliveries,
)
from safepassage.deliveries.models import Delivery
from safepassage.directory import bundled
from safepassage.events.demo import load_demo_events
from safepassage.events.models import Event
from safepassage.signatures import counter
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def prc_directory(db):
    bundled.import_prc()


@pytest.mark.parametrize("today", [dt.date(2027, 3, 1), dt.date(2026, 12, 20)])
def test_the_day_of_action_events_deliveries_and_signatures_follow_today(prc_directory, today):
    petition = load_demo(today=today)
    campaign = petition.campaign
    day = today + dt.timedelta(days=DEMO_LEAD_DAYS)
    assert campaign.day_of_action == day
    assert campaign.year == day.year  # 2026-12-20 + 24 days is in 2027
    assert petition.is_open()

    assert load_demo_events(campaign, today=today) == 4
    events = Event.objects.filter(campaign=campaign)
    for event in events:
        local = event.starts_at.astimezone(zoneinfo.ZoneInfo(event.time_zone))
        assert local.date() == day, event.title  # on the day of action, local time

    assert plan_demo_deliveries(petition) == 3  # Washington, Chicago, Seoul have a mission
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        Delivery.Status.PLANNED
    }

    assert load_demo_signatures(petition, today) == SIGNATURES + PENDING
    assert load_demo_signatures(petition, today) == 0  # once
    confirmed = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
    times = sorted(t for t in confirmed.values_list("confirmed_at", flat=True) if t is not None)
    assert len(times) == SIGNATURES
    start = dt.datetime.combine(today - dt.timedelta(weeks=4), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    assert start <= times[0] and times[-1] < end  # all in the past weeks
    assert len({t.date() for t in times}) >= 14  # spread over many days
    assert counter.counted_now(petition.pk) == SIGNATURES


def test_loading_again_later_moves_the_day_and_the_events(prc_directory):
    first = dt.date(2027, 3, 1)
    petition = load_demo(today=first)
    load_demo_events(petition.campaign, today=first)
    later = first + dt.timedelta(days=10)
    petition = load_demo(today=later)
    assert load_demo_events(petition.campaign, today=later) == 0
    day = later + dt.timedelta(days=DEMO_LEAD_DAYS)
    assert petition.campaign.day_of_action == day
    for event in Event.objects.filter(campaign=petition.campaign):
        assert event.starts_at.astimezone(zoneinfo.ZoneInfo(event.time_zone)).date() == day


def test_the_command_loads_a_campaign_in_progress(prc_directory):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    day = timezone.localdate() + dt.timedelta(days=DEMO_LEAD_DAYS)
    assert f"Day of action: {day.isoformat()}" in out.getvalue()
    petition = Signature.objects.values_list("petition", flat=True).first()
    assert petition is not None
    routed = Signature.objects.filter(status="confirmed", route__mission__isnull=False).count()
    assert routed == SIGNATURES  # routed to their missions

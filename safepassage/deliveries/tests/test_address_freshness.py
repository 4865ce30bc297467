"""The delivery page says how fresh the mission's address is, and never shows an empty one."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safepassage.directory.models import Mission
from safepassage.directory.proposals import Field, MissionFieldVerification

pytestmark = pytest.mark.django_db


def _page(client, delivery) -> str:
    html: str = client.get(reverse("deliveries:detail", args=[delivery.pk])).content.decode()
    return html


def _contacts(html: str) -> str:
    match = re.search(r'<details class="mission-contacts"[^>]*>.*?</details>', html, re.S)
    assert match, "the mission's address and contacts"
    return match.group(0)


def test_the_delivery_page_shows_the_address_and_how_fresh_it_is(
    client, deliveries, missions, organiser
):
    munich, berlin, seoul = missions["munich"], missions["berlin"], missions["seoul"]
    Mission.objects.filter(pk=munich.pk).update(postal_address="Röntgenstraße 6\n81679 München")
    munich.refresh_from_db()
    verified = timezone.now() - timedelta(days=10)
    MissionFieldVerification.objects.create(
        mission=munich,
        field=Field.POSTAL_ADDRESS,
        value=munich.postal_address,
        source="seen in person",
        verified_at=verified,
    )
    Mission.objects.filter(pk=berlin.pk).update(
        postal_address="Märkisches Ufer 54\n10179 Berlin", source_date=date(2023, 1, 10)
    )
    Mission.objects.filter(pk=seoul.pk).update(postal_address="", postcode="")
    client.force_login(organiser)

    fresh = _contacts(_page(client, deliveries["munich"]))
    assert "Röntgenstraße 6" in fresh
    month = timezone.localdate(verified).strftime("%Y-%m")
    assert f"Address confirmed {month}." in fresh
    assert '<details class="mission-contacts">' in fresh  # closed: nothing to check

    stale = _contacts(_page(client, deliveries["berlin"]))
    assert "Märkisches Ufer 54" in stale
    assert "Address last confirmed 2023-01; it may have changed since." in stale
    assert 'mission-contacts" open' in stale  # open: the coordinator sees it at once

    missing = _contacts(_page(client, deliveries["seoul"]))
    assert "No address on record — check with the organiser." in missing
    assert "address-block" not in missing  # never an empty block
    assert 'mission-contacts" open' in missing

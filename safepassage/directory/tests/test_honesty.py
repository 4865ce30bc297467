"""The public finder and list say how fresh an address is, and never print an empty one."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from personas import coordinator_of, make_campaign, make_mission, organiser_of
from safepassage.directory import verification
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Proposal

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def missions(db: None, today: dt.date) -> dict[str, Mission]:
    cache.clear()
    return {
        # Confirmed (its source) five months ago: fresh.
        "chicago": make_mission(
            "cg-chicago",
            "consulate_general",
            "US",
            "Chicago",
            postal_address="1 East Erie Street",
            postcode="60611",
            source_date=dt.date(2026, 7, 1),
        ),
        # Confirmed in June 2024: older than 12 months.
        "seoul": make_mission(
            "e-kr",
            "embassy",
            "KR",
            "Seoul",
            postal_address="27 Myeongdong 2-gil, Jung-gu",
            source_date=dt.date(2024, 6, 15),
        ),
        # An address nobody dated.
        "paris": make_mission("e-fr", "embassy", "FR", "Paris", postal_address="11 av. George V"),
        # No address at all, one with a website and one without.
        "dubai": make_mission(
            "cg-dubai", "consulate_general", "AE", "Dubai", website="http://dubai.example.org/"
        ),
        "lagos": make_mission("cg-lagos", "consulate_general", "NG", "Lagos", postal_address=" \n"),
    }


def _card(html: str, mission: Mission) -> str:
    found = re.search(
        rf'<article class="mission card" id="mission-{mission.pk}".*?</article>', html, re.S
    )
    assert found, mission.name
    return found.group(0)


def _list(client: Any) -> str:
    return str(client.get(reverse("directory:missions", args=["CN"])).content.decode())


def test_the_list_says_when_each_address_was_confirmed(client: Any, missions: Any) -> None:
    html = _list(client)
    assert "Address confirmed in July 2026." in _card(html, missions["chicago"])
    seoul = _card(html, missions["seoul"])
    assert "Address last confirmed in June 2024; it may have changed since." in seoul
    assert 'class="small freshness freshness-stale"' in seoul
    assert "Address not yet confirmed." in _card(html, missions["paris"])


def test_a_missing_address_is_said_never_printed_empty(client: Any, missions: Any) -> None:
    html = _list(client)
    for key, text in (
        ("dubai", "No postal address known; see the mission's website."),
        ("lagos", "No postal address known."),
    ):
        card = _card(html, missions[key])
        assert text in card and "freshness-missing" in card
        assert "<address" not in card
    assert "<address></address>" not in html


def test_the_cached_list_goes_stale_with_the_calendar(
    client: Any, missions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Address confirmed in July 2026." in _card(_list(client), missions["chicago"])
    # Nothing in the directory changed, but thirteen months went by.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2027, 8, 2))
    chicago = _card(_list(client), missions["chicago"])
    assert "Address last confirmed in July 2026; it may have changed since." in chicago


def test_an_accepted_address_shows_at_once_with_its_date(client: Any, missions: Any) -> None:
    campaign = make_campaign()
    coordinator = coordinator_of(campaign, "cora", "KR", "Seoul")
    assert "June 2024" in _card(_list(client), missions["seoul"])  # cached now
    proposal = verification.propose(
        user=coordinator,
        campaign=campaign,
        mission=missions["seoul"],
        values={"postal_address": "20 Hyoja-ro, Jongno-gu"},
        evidence=Proposal.Evidence.SEEN,
        source_date=dt.date(2026, 11, 30),
    )
    verification.decide(proposal, organiser_of(campaign), {"postal_address"})
    seoul = _card(_list(client), missions["seoul"])
    month = timezone.now().strftime("%B %Y")  # verified now (the database's clock)
    assert "20 Hyoja-ro, Jongno-gu" in seoul
    assert f"Address confirmed in {month}." in seoul


def test_the_list_in_korean(client: Any, missions: Any) -> None:
    url = reverse("directory:missions", args=["CN"])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    seoul = _card(html, missions["seoul"])
    assert "2024년 6월" in seoul and "Address last confirmed" not in seoul
    assert "No postal address known" not in html


def test_the_finder_shows_freshness_and_no_empty_address_block(client: Any, missions: Any) -> None:
    url = reverse("directory:find", args=["CN"])
    found = client.get(url, {"city": "Dubai", "country": "AE"}).content.decode()
    assert "Dubai" in found and "No postal address known; see the mission" in found
    assert "Postal address block" not in found and 'class="address-block"' not in found
    seoul = client.get(url, {"city": "Seoul", "country": "KR"}).content.decode()
    assert "Address last confirmed in June 2024" in seoul
    assert "Postal address block" in seoul and "27 Myeongdong 2-gil" in seoul

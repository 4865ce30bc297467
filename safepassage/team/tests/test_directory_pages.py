"""The team's directory pages: dashboard section, proposing, the queue, the board's flags."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from personas import (
    coordinator_of,
    make_campaign,
    make_mission,
    organiser_of,
    user_with_role,
)
from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Organisation
from safepassage.deliveries.models import Delivery
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db: None) -> Any:
    campaign = make_campaign(day_of_action=timezone.localdate() + dt.timedelta(days=20))
    mission = make_mission("cn-cg-chi", "consulate_general", "US", "Chicago")
    organiser = organiser_of(campaign)
    coordinator = coordinator_of(campaign, "cora", "US", "Chicago")
    return campaign, mission, organiser, coordinator


def _photo() -> io.BytesIO:
    image = Image.new("RGB", (16, 16), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    out.seek(0)
    out.name = "IMG_0001.jpg"
    return out


def test_coordinator_proposes_from_the_dashboard(client: Any, setup: Any) -> None:
    campaign, mission, _organiser, coordinator = setup
    client.force_login(coordinator)
    dashboard = client.get(reverse("team:dashboard", args=[campaign.slug])).content.decode()
    propose_url = reverse("team:directory_propose", args=[campaign.slug, mission.pk])
    assert propose_url in dashboard and "address missing" in dashboard
    page = client.get(propose_url).content.decode()
    assert 'class="area-map"' in page and "tile" not in page.lower()
    response = client.post(
        propose_url,
        {
            "value_postal_address": "1 E Erie St, Chicago, IL 60611",
            "value_coordinates": "41.8939, -87.6267",
            "evidence": "photo",
            "photo": _photo(),
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.proposer == coordinator and proposal.evidence == "photo"
    assert b"PhoneMaker" not in proposal.photo.read()
    # A URL without its date is refused, nothing stored.
    response = client.post(
        propose_url,
        {"value_phone": "+1 312 803 0095", "evidence": "url", "source_url": "https://x.example"},
    )
    assert response.status_code == 400 and Proposal.objects.count() == 1
    # The proposer sees the status; the proposer's name is not on the coordinator's pages.
    dashboard = client.get(reverse("team:dashboard", args=[campaign.slug])).content.decode()
    assert "own-proposal-" in dashboard and "open" in dashboard
    # The queue is the organisers'.
    assert client.get(reverse("team:directory_queue", args=[campaign.slug])).status_code == 403


def test_organiser_decides_in_the_queue(client: Any, setup: Any) -> None:
    campaign, mission, organiser, coordinator = setup
    client.force_login(coordinator)
    client.post(
        reverse("team:directory_propose", args=[campaign.slug, mission.pk]),
        {
            "value_postal_address": "1 E Erie St, Chicago, IL 60611",
            "value_phone": "+1 000",
            "evidence": "seen",
            "source_date": "2026-11-20",
        },
    )
    proposal = Proposal.objects.get()
    client.force_login(organiser)
    queue = client.get(reverse("team:directory_queue", args=[campaign.slug])).content.decode()
    assert "cora" in queue  # organisers see who proposed
    url = reverse("team:directory_proposal", args=[campaign.slug, proposal.pk])
    page = client.get(url).content.decode()
    assert 'id="diff-postal_address"' in page and "1 E Erie St" in page
    response = client.post(url, {"action": "decide", "accept": ["postal_address"]})
    assert response.status_code == 400  # a rejected field needs a reason
    response = client.post(
        url, {"action": "decide", "accept": ["postal_address"], "reason": "unreadable"}
    )
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.postal_address.startswith("1 E Erie St") and mission.phone == ""
    record = client.get(
        reverse("team:directory_mission", args=[campaign.slug, mission.pk])
    ).content.decode()
    assert "seen in person on 2026-11-20" in record
    assert "verified by olga on" in record and "unverified" in record


def test_board_flags_a_planned_delivery_without_a_verified_address(client: Any, setup: Any) -> None:
    campaign, mission, organiser, _coordinator = setup
    Delivery.objects.create(campaign=campaign, mission=mission)
    fresh = make_mission(
        "cn-emb-us",
        "embassy",
        "US",
        "Washington",
        postal_address="3505 International Pl NW",
        source_date=timezone.localdate(),
    )
    Delivery.objects.create(campaign=campaign, mission=fresh)
    client.force_login(organiser)
    board = client.get(reverse("team:board", args=[campaign.slug])).content.decode()
    assert board.count("address-check") == 1 and "address missing: check it" in board
    # Before D-30 the board says nothing about addresses.
    campaign.day_of_action = timezone.localdate() + dt.timedelta(days=60)
    campaign.save()
    board = client.get(reverse("team:board", args=[campaign.slug])).content.decode()
    assert "address-check" not in board
    # The organisers' page counts per campaign.
    page = client.get(reverse("team:directory_freshness", args=[campaign.slug])).content.decode()
    assert "<strong>1</strong> missing" in page and "<strong>1</strong> verified" in page


def test_a_coordinator_of_a_mission_only_sees_theirs(client: Any, setup: Any) -> None:
    campaign, mission, _organiser, coordinator = setup
    other = make_mission("cn-cg-hou", "consulate_general", "US", "Houston")
    Assignment.objects.filter(role__user=coordinator).delete()
    Assignment.objects.create(role=Role.objects.get(user=coordinator), mission=other)
    client.force_login(coordinator)
    assert (
        client.get(reverse("team:directory_propose", args=[campaign.slug, mission.pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("team:directory_propose", args=[campaign.slug, other.pk])).status_code
        == 200
    )
    assert Mission.objects.count() == 2


def test_only_organisers_see_who_proposed(client: Any, setup: Any) -> None:
    campaign, mission, _organiser, coordinator = setup
    organisation = Organisation.objects.create(name="Partner", slug="partner")
    partner = user_with_role("pat", campaign, Role.Kind.PARTNER_EDITOR, organisation=organisation)
    client.force_login(coordinator)
    client.post(
        reverse("team:directory_propose", args=[campaign.slug, mission.pk]),
        {"value_phone": "+1 312 803 0095", "evidence": "seen", "source_date": "2026-11-20"},
    )
    proposal = Proposal.objects.get()
    client.force_login(partner)
    record = reverse("team:directory_mission", args=[campaign.slug, mission.pk])
    page = client.get(record).content.decode()
    assert page.count("cora") == 0 and "own-proposal" not in page
    assert (
        client.get(
            reverse("team:directory_proposal", args=[campaign.slug, proposal.pk])
        ).status_code
        == 403
    )
    # Nothing proposed is public before it is accepted.
    public = client.get("/missions/CN/").content.decode()
    assert "803 0095" not in public

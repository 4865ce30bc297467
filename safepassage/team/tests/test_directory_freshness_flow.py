"""Issue 24's freshness "done when", end to end: the board, the counts, the reminder mail.

- The board flags a mission with a planned delivery and no verified address
  (missing or stale) from 30 days before the day of action, not before, and
  never a verified one.
- The organisers' page and ``directory_coverage --freshness`` count missing,
  stale and verified per campaign, each campaign its own.
- The housekeeping sweep mails the coordinator assigned to a mission to check
  through the outbox (real SMTP), once per period, and nobody else.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import mail_text, run_tasks
from personas import coordinator_of, make_campaign, make_mission, organiser_of
from safepassage.core.housekeeping import housekeeping
from safepassage.deliveries.models import Delivery
from safepassage.directory.proposals import DirectoryNotice
from safepassage.outbox.models import Message

pytestmark = pytest.mark.django_db


def _missions() -> dict[str, Any]:
    return {
        "missing": make_mission("cn-cg-chi", "consulate_general", "US", "Chicago"),
        "stale": make_mission(
            "cn-cg-ny",
            "consulate_general",
            "US",
            "New York",
            postal_address="520 12th Ave",
            source_date=dt.date(2024, 6, 1),
        ),
        "verified": make_mission(
            "cn-emb-us",
            "embassy",
            "US",
            "Washington",
            postal_address="3505 International Pl NW",
            source_date=timezone.localdate() - dt.timedelta(days=30),
        ),
    }


def _board(client: Any, campaign: Any) -> str:
    html: str = client.get(reverse("team:board", args=[campaign.slug])).content.decode()
    return html


def test_the_board_flags_missing_and_stale_addresses_from_d30(client: Any) -> None:
    today = timezone.localdate()
    campaign = make_campaign(day_of_action=today + dt.timedelta(days=30))
    missions = _missions()
    for mission in missions.values():
        Delivery.objects.create(campaign=campaign, mission=mission)
    client.force_login(organiser_of(campaign))
    board = _board(client, campaign)
    assert board.count('class="address-check') == 2
    assert "address missing: check it" in board
    assert "address not confirmed recently: check it" in board
    for key, state in (("missing", "missing"), ("stale", "stale")):
        link = reverse("team:directory_mission", args=[campaign.slug, missions[key].pk])
        assert f'class="address-check address-{state}" href="{link}"' in board
    # D-31: not yet.
    campaign.day_of_action = today + dt.timedelta(days=31)
    campaign.save()
    assert "address-check" not in _board(client, campaign)
    # A delivery done is not planned any more: its mission is not flagged.
    campaign.day_of_action = today + dt.timedelta(days=10)
    campaign.save()
    Delivery.objects.filter(campaign=campaign, mission=missions["stale"]).update(
        status=Delivery.Status.POSTED, delivered_at=timezone.now()
    )
    board = _board(client, campaign)
    assert board.count('class="address-check') == 1 and "address-missing" in board


def test_the_counts_are_per_campaign_on_the_page_and_in_the_report(client: Any) -> None:
    today = timezone.localdate()
    first = make_campaign(day_of_action=today + dt.timedelta(days=20))
    second = make_campaign(slug="second-2026", day_of_action=today + dt.timedelta(days=20))
    missions = _missions()
    for mission in missions.values():
        Delivery.objects.create(campaign=first, mission=mission)
    Delivery.objects.create(campaign=second, mission=missions["stale"])
    client.force_login(organiser_of(first))
    page = client.get(reverse("team:directory_freshness", args=[first.slug])).content.decode()
    for state in ("missing", "stale", "verified"):
        assert f"<strong>1</strong> {state}" in page
    client.force_login(organiser_of(second, "otto"))
    page = client.get(reverse("team:directory_freshness", args=[second.slug])).content.decode()
    assert "<strong>0</strong> missing" in page and "<strong>1</strong> stale" in page
    assert "<strong>0</strong> verified" in page
    out = io.StringIO()
    call_command("directory_coverage", "--freshness", stdout=out)
    assert f"| {first.slug} | 1 | 1 | 1 |" in out.getvalue()
    assert f"| {second.slug} | 0 | 1 | 0 |" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_housekeeping_mails_the_assigned_coordinator_through_the_outbox(smtp_server: Any) -> None:
    campaign = make_campaign(day_of_action=timezone.localdate() + dt.timedelta(days=40))
    missions = _missions()
    for mission in missions.values():
        Delivery.objects.create(campaign=campaign, mission=mission)
    nina = coordinator_of(campaign, "nina", "US", "New York")
    coordinator_of(campaign, "walt", "US", "Washington")  # verified: nothing to check
    housekeeping()
    run_tasks()
    mails = smtp_server.wait_for(1)
    assert [m["To"] for m in mails] == [nina.email]  # Chicago has no coordinator
    assert "Please check the address of" in str(mails[0]["Subject"])
    text = mail_text(mails[0])
    assert missions["stale"].name in text
    assert "Its address was last confirmed in 2024-06." in text
    link = reverse("team:directory_propose", args=[campaign.slug, missions["stale"].pk])
    assert link in text
    notice = DirectoryNotice.objects.get(kind=DirectoryNotice.Kind.REMINDER)
    assert notice.message.kind == Message.Kind.DIRECTORY_REMINDER
    assert notice.message.recipient_encrypted == ""  # sent: no address kept
    # The next sweep within the period sends nothing more.
    housekeeping()
    run_tasks()
    assert len(smtp_server.messages) == 1

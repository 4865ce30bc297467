"""Proposals, verification and freshness of the directory (issue 24), below the pages."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from conftest import mail_text, run_tasks
from personas import coordinator_of, make_campaign, make_mission, organiser_of, user_with_role
from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Organisation
from safepassage.deliveries.models import Delivery
from safepassage.directory import freshness, verification
from safepassage.directory.models import Mission
from safepassage.directory.proposals import (
    DirectoryNotice,
    MissionFieldVerification,
    Proposal,
    ProposedValue,
)
from safepassage.lib import uploads
from safepassage.outbox.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> Any:
    w = SimpleNamespace()
    w.campaign = make_campaign()
    w.mission = make_mission(
        "cn-cg-test", "consulate_general", "US", "Chicago", source_date=dt.date(2020, 1, 1)
    )
    w.other = make_mission("cn-cg-other", "consulate_general", "US", "Houston")
    w.organiser = organiser_of(w.campaign)
    w.coordinator = coordinator_of(w.campaign, "cora", "US", "Chicago")
    organisation = Organisation.objects.create(name="Partner", slug="partner")
    w.partner = user_with_role(
        "pat", w.campaign, Role.Kind.PARTNER_EDITOR, organisation=organisation
    )
    return w


def _propose(w: Any, **values: str) -> Proposal:
    return verification.propose(
        user=w.coordinator,
        campaign=w.campaign,
        mission=w.mission,
        values=values,
        evidence=Proposal.Evidence.URL,
        source_url="https://example.org/contact",
        source_date=dt.date(2026, 11, 1),
    )


def test_who_may_propose(world: Any) -> None:
    w = world
    assert verification.can_propose(w.coordinator, w.campaign, w.mission)
    assert not verification.can_propose(w.coordinator, w.campaign, w.other)  # not their city
    assert verification.can_propose(w.partner, w.campaign, w.other)  # any mission of CN
    foreign = make_mission("fr-emb", "embassy", "US", "Chicago", sending_state="FR")
    assert not verification.can_propose(w.partner, w.campaign, foreign)
    with pytest.raises(PermissionDenied):
        verification.propose(
            user=w.coordinator,
            campaign=w.campaign,
            mission=w.other,
            values={"phone": "+1 713 520 1462"},
            evidence=Proposal.Evidence.SEEN,
            source_date=dt.date(2026, 11, 1),
        )
    assert [m.pk for m in verification.proposable_missions(w.coordinator, w.campaign)] == [
        w.mission.pk
    ]


def test_values_are_checked(world: Any) -> None:
    with pytest.raises(ValidationError):
        _propose(world, coordinates="91, 10")
    with pytest.raises(ValidationError):
        _propose(world, email="not-an-address")
    with pytest.raises(ValidationError):
        _propose(world)  # nothing proposed
    proposal = _propose(world, coordinates=" 41.8912 , -87.6251 ")
    assert proposal.values.get().value == "41.891200, -87.625100"


def test_database_refuses_broken_invariants(world: Any) -> None:
    w = world
    base = {"mission": w.mission, "campaign": w.campaign, "proposer": w.coordinator}
    for bad in (
        {"evidence": "url", "source_url": "https://x.example"},  # no date
        {"evidence": "photo"},  # no photo
        {"evidence": "seen"},  # no day
        {"evidence": "seen", "source_date": dt.date(2026, 1, 1), "status": "rejected"},  # reason
        {
            "evidence": "seen",
            "source_date": dt.date(2026, 1, 1),
            "status": "decided",
            "reason": "x",
        },  # nobody decided
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Proposal.objects.create(**base, **bad)
    proposal = _propose(w, phone="+1 312 803 0095")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposedValue.objects.create(proposal=proposal, field="phone", value="again")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposedValue.objects.create(proposal=proposal, field="fax", value="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        MissionFieldVerification.objects.create(
            mission=w.mission, field="phone", value="1", source="", verified_at=timezone.now()
        )


@pytest.mark.django_db(transaction=True)
def test_accept_two_fields_reject_one(world: Any, smtp_server: Any) -> None:
    w = world
    proposal = _propose(
        w,
        postal_address="1 E Erie St, Chicago, IL 60611",
        postcode="60611",
        phone="+1 000",
    )
    with pytest.raises(PermissionDenied):
        verification.decide(proposal, w.coordinator, {"postal_address"})
    with pytest.raises(ValidationError):  # a rejection needs its reason
        verification.decide(proposal, w.organiser, {"postal_address", "postcode"})
    verification.decide(proposal, w.organiser, {"postal_address", "postcode"}, "wrong number")
    mission = Mission.objects.get(pk=w.mission.pk)
    assert mission.postal_address == "1 E Erie St, Chicago, IL 60611"
    assert mission.postcode == "60611"
    assert mission.phone == ""
    assert mission.last_verified == timezone.localdate()
    decisions = dict(proposal.values.values_list("field", "decision"))
    assert decisions == {"postal_address": "accepted", "postcode": "accepted", "phone": "rejected"}
    assert proposal.status == Proposal.Status.DECIDED
    latest = mission.history.latest()
    assert latest.history_user == w.organiser
    assert "proposal #" in (latest.history_change_reason or "")
    rows = {row.field: row for row in verification.provenance(mission)}
    assert rows["postal_address"].verification is not None
    assert rows["postal_address"].verification.verified_by == w.organiser
    assert "https://example.org/contact" in rows["postal_address"].verification.source
    assert rows["phone"].verification is None
    # An admin edit afterwards makes the field unverified again.
    mission.postal_address = "somewhere else"
    mission.save()
    rows = {row.field: row for row in verification.provenance(mission)}
    assert rows["postal_address"].verification is None
    # The proposer is told, by mail through the outbox.
    run_tasks()
    mails = smtp_server.wait_for(1)
    assert len(mails) == 1 and mails[0]["To"] == "cora@team.example"
    text = mail_text(mails[0])
    assert "wrong number" in text and "accepted" in text and "rejected" in text
    with pytest.raises(ValidationError):
        verification.decide(proposal, w.organiser, {"phone"})


def test_ask_more_and_closed(world: Any) -> None:
    w = world
    proposal = verification.propose(
        user=w.partner,
        campaign=w.campaign,
        mission=w.other,
        values={"closed": "Moved to 3417 Montrose Blvd"},
        evidence=Proposal.Evidence.SEEN,
        source_date=dt.date(2026, 10, 2),
    )
    with pytest.raises(ValidationError):
        verification.ask_more(proposal, w.organiser, " ")
    verification.ask_more(proposal, w.organiser, "Which floor?")
    assert proposal.status == Proposal.Status.MORE and proposal.reason == "Which floor?"
    assert DirectoryNotice.objects.filter(proposal=proposal).count() == 1
    verification.decide(proposal, w.organiser, {"closed"})
    other = Mission.objects.get(pk=w.other.pk)
    assert other.status == Mission.Status.CLOSED and other.closed == "2026-10-02"
    assert "Montrose" in other.notes


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (20, 20), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (37.0, 33.0, 59.0), 1: "N"}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_evidence_is_stripped_and_private(world: Any, settings: Any) -> None:
    w = world
    clean = uploads.clean_image(_jpeg_with_gps())
    proposal = verification.propose(
        user=w.coordinator,
        campaign=w.campaign,
        mission=w.mission,
        values={"delivery_hours": "Mon-Fri 9:00-12:00"},
        evidence=Proposal.Evidence.PHOTO,
        photo=clean,
    )
    stored = proposal.photo.read()
    assert b"Exif" not in stored
    assert proposal.photo.storage.location.startswith(str(settings.PRIVATE_ROOT))


def test_freshness_and_reminders(world: Any, settings: Any) -> None:
    w = world
    settings.DIRECTORY_ADDRESS_MAX_AGE_MONTHS = 12
    settings.DIRECTORY_REMINDER_DAYS = 30
    today = dt.date(2026, 9, 1)
    w.campaign.day_of_action = dt.date(2026, 9, 24)
    w.campaign.save()
    fresh = make_mission(
        "cn-emb-us",
        "embassy",
        "US",
        "Washington",
        postal_address="3505 International Pl NW",
        source_date=dt.date(2026, 1, 5),
    )
    stale = make_mission(
        "cn-cg-ny",
        "consulate_general",
        "US",
        "New York",
        postal_address="520 12th Ave",
        source_date=dt.date(2024, 6, 1),
    )
    for mission in (w.mission, fresh, stale):
        Delivery.objects.create(campaign=w.campaign, mission=mission)
    Delivery.objects.create(
        campaign=w.campaign,
        mission=w.other,
        status=Delivery.Status.POSTED,
        delivered_at=timezone.now(),
    )  # done: not planned any more
    report = freshness.campaign_freshness(w.campaign, today)
    states = {row.mission.key: row.state for row in report.rows}
    assert states == {"cn-cg-test": "missing", "cn-emb-us": "verified", "cn-cg-ny": "stale"}
    assert report.counts == {"missing": 1, "stale": 1, "verified": 1}
    out = io.StringIO()
    call_command("directory_coverage", "--freshness", stdout=out)
    assert f"| {w.campaign.slug} | 1 | 1 | 1 |" in out.getvalue()
    # Only Chicago has a coordinator: one reminder, and only one within the period.
    assert freshness.send_reminders(today) == 1
    assert freshness.send_reminders(today) == 0
    notice = DirectoryNotice.objects.get(kind="reminder")
    assert notice.mission == w.mission and notice.message.kind == Message.Kind.DIRECTORY_REMINDER
    DirectoryNotice.objects.update(created_at=timezone.now() - dt.timedelta(days=31))
    assert freshness.send_reminders(today) == 1
    # A mission assigned one by one counts as planned too, and its coordinator is reminded.
    role = Role.objects.get(user=w.coordinator)
    Assignment.objects.create(role=role, mission=stale)
    assert freshness.send_reminders(today) == 1


def test_admin_shows_per_field_provenance(world: Any, client: Any) -> None:
    w = world
    proposal = _propose(w, phone="+1 312 803 0095")
    verification.decide(proposal, w.organiser, {"phone"})
    admin_user = get_user_model().objects.create_superuser("root", "root@team.example", "pw-x1")
    client.force_login(admin_user)
    page = client.get(reverse("admin:directory_mission_change", args=[w.mission.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "verified by olga on" in html and "unverified" in html
    assert "https://example.org/contact" in html

"""Start next year's campaign (core/rollover.py): what is copied, what never is, all or nothing.

The demo campaign (core/demo.py) is copied, and the copy walks through the
same day as the demo itself: a person signs and confirms by e-mail, the
signature is routed, the packets are built, the packet is delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Mailbox, mail_text, run_tasks, sign_data
from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.security import REAUTH_AT
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.core import rollover
from safepassage.core.demo import ORGANISATIONS
from safepassage.core.demo_texts import PETITION
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries, record
from safepassage.directory.models import Mission
from safepassage.events.demo import load_demo_events
from safepassage.events.models import RSVP, Event, ReadingScript, RemembranceName
from safepassage.letters import services as letters
from safepassage.letters.models import Letter, LetterVersion, Signatory, SupportingDocument
from safepassage.outbox.models import Message
from safepassage.packets import services as packets
from safepassage.packets.models import Packet, PacketBuild, PacketSharing
from safepassage.packets.tests.conftest import _files, pdf_text, simple_pdf  # noqa: F401
from safepassage.reports import rollover as reports_rollover
from safepassage.reports.archive import past_campaigns
from safepassage.reports.models import AfterActionReport, PressKit
from safepassage.signatures.embeds import EmbedOrigin
from safepassage.signatures.models import CampaignStats, Signature

pytestmark = pytest.mark.django_db

NEXT_DAY = dt.date(2027, 9, 24)


def make_mission(key: str, kind: str, country: str, city: str, lat: float, lon: float) -> Mission:
    return Mission.objects.create(
        key=key,
        sending_state="CN",
        kind=kind,
        name=f"{kind.replace('_', ' ').title()} of China in {city}",
        host_country=country,
        city=city,
        latitude=lat,
        longitude=lon,
        postal_address=f"1 Embassy Road\n{city}",
        email=f"{key}@mission.example",
        source="https://example.org/missions",
    )


@pytest.fixture
def missions(db: None) -> dict[str, Mission]:
    return {
        "seoul": make_mission("cn-e-kr", "embassy", "KR", "Seoul", 37.57, 126.98),
        "washington": make_mission("cn-e-us", "embassy", "US", "Washington, D.C.", 38.94, -77.07),
        "chicago": make_mission("cn-cg-chi", "consulate_general", "US", "Chicago", 41.89, -87.63),
    }


def make_user(name: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(name, f"{name}@team.example", "pw-1", **extra)


@pytest.fixture
def demo(petition: Petition, missions: dict[str, Mission]) -> Campaign:
    """The demo campaign with its events and an organiser, as `manage.py load_demo` makes it."""
    campaign = petition.campaign
    load_demo_events(campaign)
    Role.objects.create(user=make_user("olga"), campaign=campaign, kind=Role.Kind.ORGANISER)
    return campaign


def organiser_of(campaign: Campaign) -> Any:
    return Role.objects.filter(campaign=campaign, kind=Role.Kind.ORGANISER).first().user  # type: ignore[union-attr]


def roll(old: Campaign, day: dt.date = NEXT_DAY, **extra: Any) -> Campaign:
    values = {**rollover.defaults(old), "day_of_action": day, **extra}
    return rollover.start_next_year(old, user=organiser_of(old), **values).campaign


# --- The walk-through ---------------------------------------------------------------------


def walk_through(campaign: Campaign, mailbox: Mailbox, signer: str) -> None:
    """Sign, confirm, build, deliver: the demo's day of action, on ``campaign``."""
    organiser = organiser_of(campaign)
    petition = campaign.petitions.get()
    client = Client()
    response = client.post(petition.get_absolute_url(), sign_data(email=signer, last_name="Walk"))
    assert response.status_code == 302, response.content.decode()[:500]
    run_tasks()
    [mail] = [m for m in mailbox.messages if m["To"] == signer]  # sent by run_tasks
    link = re.search(r"/s/[0-9a-f-]{36}/confirm/[0-9a-f]{40}/", mail_text(mail))
    assert link is not None
    assert client.post(link.group(0)).status_code == 302  # to the confirmation page
    signature = Signature.objects.get(petition=petition)
    assert signature.status == Signature.Status.CONFIRMED
    run_tasks()  # routing

    build = packets.start_build(campaign, petition, scope="mission", user=organiser)
    for packet_id in build.packets.values_list("pk", flat=True):
        packets.build_one(packet_id)
    packets.finish(build.pk)
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE
    packet = build.packets.get(mission__key="cn-e-kr")
    assert packet.status == Packet.Status.DONE, packet.error
    with packet.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Walk" in text and "Ji-woo" in text
    assert "Your Excellency" in text  # the approved letter comes first

    plan_deliveries(campaign, user=organiser)
    delivery = Delivery.objects.get(campaign=campaign, mission__key="cn-e-kr")
    record(
        delivery,
        Delivery.Status.IN_PERSON,
        by="Seoul volunteers",
        at=timezone.now(),
        received_by="Consul",
        packet_sha256=packet.sha256,
        user=organiser,
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.IN_PERSON
    assert delivery.packet_sha256 == packet.sha256


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", ["demo", "copy"])
def test_the_copy_passes_the_demo_walk_through(demo: Campaign, smtp_server: Mailbox, which: str):
    campaign = demo
    if which == "copy":
        walk_through(demo, smtp_server, "first.year@example.org")
        campaign = roll(demo)
        # The organiser opens it and approves the letter again: until then nothing is printed.
        assert packets.approved_versions(campaign) == []
        letters.approve(
            LetterVersion.objects.get(letter__campaign=campaign), user=organiser_of(campaign)
        )
        campaign.status = Campaign.Status.OPEN
        campaign.save()
    walk_through(campaign, smtp_server, "walker@example.org")


# --- What is copied -----------------------------------------------------------------------


@pytest.fixture
def full(demo: Campaign, missions: dict[str, Mission]) -> Campaign:
    """The demo with one of everything a coalition prepares, and a year's personal data."""
    campaign = demo
    coalition = Organisation.objects.get(slug=ORGANISATIONS[0][1])
    partner = Organisation.objects.get(slug=ORGANISATIONS[1][1])
    document = SupportingDocument(campaign=campaign, title="COI chair letter", language="en")
    data = simple_pdf("Chair of the Commission of Inquiry")
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.file.save("coi.pdf", ContentFile(data), save=False)
    document.save()
    sample = Letter.objects.get(campaign=campaign, organisation=None)
    sample.attachments.add(document)
    fork = letters.fork(sample, partner, user=None)
    letters.approve(fork.latest_version(), user=organiser_of(campaign))  # type: ignore[arg-type]

    washington = Event.objects.get(campaign=campaign, city="Washington")
    Event.objects.filter(campaign=campaign, city="Berlin").update(status=Event.Status.CANCELLED)
    RSVP.objects.create(
        event=washington, name="Ana", email_hash="a" * 64, consent_version="t", people=2
    )
    coordinator = Role.objects.create(
        user=make_user("max"), campaign=campaign, kind=Role.Kind.COORDINATOR
    )
    Assignment.objects.create(role=coordinator, country="US", city="Chicago")
    Assignment.objects.create(role=coordinator, mission=missions["washington"])
    Assignment.objects.create(role=coordinator, event=washington)
    Role.objects.create(
        user=make_user("pia"),
        campaign=campaign,
        kind=Role.Kind.PARTNER_EDITOR,
        organisation=partner,
    )
    RemembranceName.objects.create(campaign=campaign, name="Kim", public=True, position=1)
    ReadingScript.objects.create(campaign=campaign, opening="We remember", closing="Amen")
    PressKit.objects.create(
        campaign=campaign,
        press_release_title="Release",
        press_release_body="On {{ day_of_action }}",
        flyer_headline="Flyer",
        contacts="Press: +1 555",
        published=True,
    )
    AfterActionReport.objects.create(campaign=campaign, title="What happened in 2026")
    assert coalition in campaign.organisations.all()

    # A year's worth of what must never be copied.
    petition = campaign.petitions.get()
    Signature.objects.create(
        petition=petition,
        status=Signature.Status.CONFIRMED,
        first_name="Ji-woo",
        last_name="Kim",
        city="Seoul",
        region="KR-11",
        country="KR",
        publish_name=True,
        contact=Signature.Contact.COUNT_ONLY,
        email_hash="b" * 64,
        consent_version="t",
        consent_hash="c" * 64,
        confirmed_at=timezone.now(),
    )
    Message.objects.create(kind=Message.Kind.SIGNATURE_CONFIRM)
    plan_deliveries(campaign)
    return campaign


def test_the_copy_holds_what_next_year_needs(full: Campaign):
    old = full
    messages_before = Message.objects.count()
    new = roll(old)

    assert (new.title, new.year, new.day_of_action) == (old.title, 2027, NEXT_DAY)
    assert new.slug == "save-north-korean-refugees-day-2027"
    assert new.status == Campaign.Status.DRAFT
    assert (new.target_person, new.target_title, new.target_government) == (
        old.target_person,
        old.target_title,
        "CN",
    )
    assert set(new.organisations.all()) == set(old.organisations.all())

    [petition] = new.petitions.all()
    [old_petition] = old.petitions.all()
    assert petition.slug == "safe-passage-2027"
    assert (petition.signature_goal, petition.default_language) == (10_000, "en")
    texts = {t.language: (t.title, t.body) for t in petition.texts.all()}
    assert texts == {t.language: (t.title, t.body) for t in old_petition.texts.all()}
    assert set(texts) == set(PETITION)

    # Letters: one draft version each, approved by nobody yet; attachments are the new documents.
    [document] = new.supporting_documents.all()
    old_document = old.supporting_documents.get()
    assert document.pk != old_document.pk and document.file.name == old_document.file.name
    copied = {(letter.organisation_id, letter.language): letter for letter in new.letters.all()}
    assert set(copied) == {
        (None, "en"),
        (Organisation.objects.get(slug=ORGANISATIONS[1][1]).pk, "en"),
    }
    for letter in copied.values():
        assert letter.approved_version is None
        [version] = letter.versions.all()
        assert (version.number, version.status) == (1, LetterVersion.Status.DRAFT)
        assert version.reviewed_by is None
    sample = copied[(None, "en")]
    old_sample = Letter.objects.get(campaign=old, organisation=None)
    assert sample.versions.get().body == old_sample.approved_version.body  # type: ignore[union-attr]
    assert list(sample.attachments.all()) == [document]
    assert [s.name for s in Signatory.objects.filter(version__letter=sample)] == [
        "The coalition's coordinators"
    ]
    partner_letter = next(letter for letter in copied.values() if not letter.is_sample)
    assert partner_letter.forked_from == sample.versions.get()
    assert packets.approved_versions(new) == []

    # Events: drafts, same local time, moved by the difference between the days of action.
    shift = NEXT_DAY - old.day_of_action
    old_events = {e.title: e for e in old.events.exclude(status=Event.Status.CANCELLED)}
    new_events = {e.title: e for e in new.events.all()}
    assert set(new_events) == set(old_events)  # the cancelled Berlin gathering stays behind
    for title, event in new_events.items():
        before = old_events[title]
        zone = zoneinfo.ZoneInfo(event.time_zone)
        assert event.status == Event.Status.DRAFT
        assert event.uuid != before.uuid
        assert event.starts_at.astimezone(zone).time() == before.starts_at.astimezone(zone).time()
        assert event.starts_at.astimezone(zone).date() == (
            before.starts_at.astimezone(zone).date() + shift
        )
        assert event.ends_at - event.starts_at == before.ends_at - before.starts_at  # type: ignore[operator]
        assert (event.mission_id, event.venue, event.city) == (
            before.mission_id,
            before.venue,
            before.city,
        )
    assert RSVP.objects.filter(event__campaign=new).count() == 0
    assert list(new.remembrance.values_list("name", "public")) == [("Kim", True)]
    assert ReadingScript.objects.get(campaign=new).opening == "We remember"

    # Roles and assignments, the assigned event being next year's.
    def roles(campaign: Campaign) -> set[tuple[str, str, int | None]]:
        return set(campaign.roles.values_list("user__username", "kind", "organisation_id"))

    assert roles(new) == roles(old)
    coordinator = new.roles.get(kind=Role.Kind.COORDINATOR)
    assignments = {
        (a.country, a.city, a.mission_id, a.event_id) for a in coordinator.assignments.all()
    }
    washington = new_events["Candlelight vigil and reading of names"]
    assert assignments == {
        ("US", "Chicago", None, None),
        ("", "", Mission.objects.get(key="cn-e-us").pk, None),
        ("", "", None, washington.pk),
    }

    kit = PressKit.objects.get(campaign=new)
    assert (kit.press_release_title, kit.contacts, kit.published) == (
        "Release",
        "Press: +1 555",
        False,
    )
    assert not AfterActionReport.objects.filter(campaign=new).exists()

    # Nothing personal, nothing of last year's day.
    assert Signature.objects.filter(petition__campaign=new).count() == 0
    assert Delivery.objects.filter(campaign=new).count() == 0
    assert PacketBuild.objects.filter(campaign=new).count() == 0
    assert not CampaignStats.objects.filter(campaign=new).exists()
    assert Message.objects.count() == messages_before

    # The old year is in the archive, with its final figures, and the old data is untouched.
    old.refresh_from_db()
    assert old.status == Campaign.Status.ARCHIVED
    assert CampaignStats.objects.get(campaign=old).grand_total == 1
    assert [row["campaign"] for row in past_campaigns(new)] == [old]
    assert Signature.objects.filter(petition__campaign=old).count() == 1
    assert Delivery.objects.filter(campaign=old).count() == 3
    assert old.letters.get(organisation=None).approved_version is not None


def test_draft_events_stay_with_the_team_until_an_organiser_publishes_them(
    demo: Campaign, client: Client
):
    new = roll(demo)
    new.status = Campaign.Status.OPEN
    new.save()
    seoul = new.events.get(city="Seoul")
    listing = client.get(reverse("events:list", args=[new.slug])).content.decode()
    assert seoul.title not in listing
    assert client.get(reverse("events:event", args=[seoul.uuid])).status_code == 404
    assert client.get(reverse("events:campaign_ics", args=[new.slug])).content.count(b"VEVENT") == 0
    dashboard = logged_in(organiser_of(new)).get(reverse("team:dashboard", args=[new.slug]))
    assert seoul.title in dashboard.content.decode()

    seoul.status = Event.Status.CONFIRMED
    seoul.save()
    assert seoul.title in client.get(reverse("events:list", args=[new.slug])).content.decode()
    assert client.get(reverse("events:event", args=[seoul.uuid])).status_code == 200


def test_the_organiser_picks_the_day_and_everything_moves_with_it(demo: Campaign):
    old_start = demo.events.get(city="Seoul").starts_at
    new = roll(demo, dt.date(2027, 9, 20), slug="snkrd-2027", title="SNKRD 2027")
    assert (new.slug, new.title, new.year) == ("snkrd-2027", "SNKRD 2027", 2027)
    shift = dt.date(2027, 9, 20) - demo.day_of_action
    assert new.events.get(city="Seoul").starts_at == old_start + shift  # Seoul keeps no DST


def test_packet_sharing_and_embedding_partners_carry_over(demo: Campaign):
    partner = demo.organisations.first()
    assert partner is not None
    PacketSharing.objects.create(campaign=demo, partners_may_download=True)
    EmbedOrigin.objects.create(
        campaign=demo, organisation=partner, origin="https://partner.example"
    )
    new = roll(demo)
    assert PacketSharing.objects.get(campaign=new).partners_may_download
    copied = EmbedOrigin.objects.get(campaign=new)
    assert (copied.organisation, copied.origin) == (partner, "https://partner.example")
    assert EmbedOrigin.objects.filter(campaign=demo).count() == 1  # the old year keeps its own


def test_a_campaign_without_them_gets_none(demo: Campaign):
    new = roll(demo)
    assert not PacketSharing.objects.filter(campaign=new).exists()
    assert not EmbedOrigin.objects.filter(campaign=new).exists()


def test_the_defaults_are_the_same_day_next_year(demo: Campaign):
    assert rollover.defaults(demo) == {
        "title": demo.title,
        "slug": "save-north-korean-refugees-day-2027",
        "day_of_action": NEXT_DAY,
    }


def test_an_error_midway_leaves_nothing(full: Campaign, monkeypatch: pytest.MonkeyPatch):
    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("the press kit broke")

    counts = {
        model: model.objects.count()
        for model in (Campaign, Petition, Letter, LetterVersion, Event, Role, Assignment, PressKit)
    }
    monkeypatch.setattr(reports_rollover, "copy_for_rollover", broken)
    with pytest.raises(RuntimeError):
        roll(full)
    assert {model: model.objects.count() for model in counts} == counts
    full.refresh_from_db()
    assert full.status == Campaign.Status.OPEN


def test_a_day_before_the_old_one_is_refused(demo: Campaign):
    with pytest.raises(rollover.RolloverError):
        roll(demo, dt.date(2026, 9, 24))
    assert Campaign.objects.count() == 1


# --- The team page ------------------------------------------------------------------------


def logged_in(user: Any, **client_options: Any) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def test_the_team_page_starts_next_year_for_the_organiser(demo: Campaign):
    organiser = organiser_of(demo)
    client = logged_in(organiser)
    url = reverse("core:next_year", args=[demo.slug])
    page = client.get(url).content.decode()
    assert 'value="save-north-korean-refugees-day-2027"' in page
    assert 'value="2027-09-24"' in page
    assert "Never copied:" in page
    assert url in client.get(reverse("team:dashboard", args=[demo.slug])).content.decode()

    response = client.post(
        url, {"title": demo.title, "slug": "snkrd-2027", "day_of_action": "2027-09-23"}
    )
    assert response.status_code == 302
    new = Campaign.objects.get(slug="snkrd-2027")
    assert response["Location"] == reverse("team:dashboard", args=["snkrd-2027"])
    assert new.day_of_action == dt.date(2027, 9, 23)
    # The organiser reaches the new campaign's pages at once.
    assert client.get(response["Location"]).status_code == 200
    assert Role.objects.filter(user=organiser, campaign=new, kind=Role.Kind.ORGANISER).exists()


def test_the_team_page_refuses_bad_input_and_changes_nothing(demo: Campaign):
    client = logged_in(organiser_of(demo))
    url = reverse("core:next_year", args=[demo.slug])
    response = client.post(url, {"title": "x", "slug": demo.slug, "day_of_action": "2026-01-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "A campaign with this address exists already." in page
    assert "must come after 2026-09-24" in page
    assert Campaign.objects.count() == 1


def test_the_team_page_is_for_organisers_only(demo: Campaign):
    url = reverse("core:next_year", args=[demo.slug])
    coordinator = make_user("cora")
    Role.objects.create(user=coordinator, campaign=demo, kind=Role.Kind.COORDINATOR)
    assert logged_in(coordinator).get(url).status_code == 403
    assert logged_in(coordinator).post(url, {}).status_code == 403
    assert logged_in(make_user("nobody")).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert Campaign.objects.count() == 1


def test_the_team_page_wants_a_fresh_sign_in_and_a_csrf_token(demo: Campaign):
    url = reverse("core:next_year", args=[demo.slug])
    stale = logged_in(organiser_of(demo))
    session = stale.session
    session[REAUTH_AT] = 0
    session.save()
    response = stale.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))

    strict = logged_in(organiser_of(demo), enforce_csrf_checks=True)
    data = {"title": "t", "slug": "snkrd-2027", "day_of_action": "2027-09-24"}
    assert strict.post(url, data).status_code == 403
    assert Campaign.objects.count() == 1


# --- The admin ----------------------------------------------------------------------------


def test_the_admin_action_asks_then_starts_next_year(demo: Campaign):
    organiser = organiser_of(demo)
    organiser.is_staff = True
    organiser.save()
    client = logged_in(organiser)
    changelist = reverse("admin:campaigns_campaign_changelist")
    chosen = {"action": "start_next_year", "_selected_action": [demo.pk]}
    page = client.post(changelist, chosen)
    assert page.status_code == 200
    assert 'value="save-north-korean-refugees-day-2027"' in page.content.decode()
    assert Campaign.objects.count() == 1

    data = {
        **chosen,
        "confirm": "yes",
        "title": "Save North Korean Refugees Day",
        "slug": "save-north-korean-refugees-day-2027",
        "day_of_action": "2027-09-24",
    }
    done = client.post(changelist, data)
    assert done.status_code == 302
    new = Campaign.objects.get(slug="save-north-korean-refugees-day-2027")
    assert new.status == Campaign.Status.DRAFT
    demo.refresh_from_db()
    assert demo.status == Campaign.Status.ARCHIVED
    assert client.get(reverse("team:dashboard", args=[new.slug])).status_code == 200


def test_a_campaign_made_in_the_admin_is_organised_by_its_creator(db: None):
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client = logged_in(boss)
    response = client.post(
        reverse("admin:campaigns_campaign_add"),
        {
            "title": "Russia day",
            "slug": "russia-2027",
            "year": "2027",
            "day_of_action": "2027-06-12",
            "target_person": "V",
            "target_title": "President",
            "target_government": "RU",
            "status": "draft",
            "petitions-TOTAL_FORMS": "0",
            "petitions-INITIAL_FORMS": "0",
            "texts-TOTAL_FORMS": "0",
            "texts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(slug="russia-2027")
    assert Role.objects.filter(user=boss, campaign=campaign, kind=Role.Kind.ORGANISER).exists()
    assert client.get(reverse("team:dashboard", args=[campaign.slug])).status_code == 200

"""The people and things of a small day of action, shared by the accounts tests.

Washington (city A): a candlelight vigil at 20:00 at the embassy, hosted by
the partner organisation, address public. Chicago (city B): a protest at
11:00 at the consulate, hosted by another organisation, address shown only
to confirmed RSVPs. Each event has a confirmed RSVP (with an encrypted
address: the person agreed to be contacted) and one that is not confirmed.
The Washington delivery is done, the Chicago one planned. Houston has a
consulate with nothing happening at it.

A second campaign (B, "Another campaign") has its own organiser
(organiser_b), who has no role in the first (A). ``populate`` gives both
campaigns one row of every model the admin shows, for the isolation tests.
"""

from __future__ import annotations

import copy
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conftest import pass_second_factor, rows_for_the_module, sign_data
from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.services import grant_admin
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.core.demo import load_demo
from safepassage.deliveries.models import Delivery
from safepassage.directory.models import Mission
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.lib.emails import canonicalize, email_hash

T = TypeVar("T")

# Every persona of the access matrix, in the order of its rows.
ROLES = (
    "anonymous",
    "signer",
    "coordinator_a",
    "coordinator_b",
    "partner",
    "organiser",
    "organiser_b",
    "outsider",
)
PASSWORD = "a-long-test-password-9731"

SIGNER_EMAIL = "signer.person@example.org"
RSVP_EMAILS = ("ana.alpha@example.org", "paul.pending@example.org", "bo.bravo@example.net")
NAMES_A = ("Ana Alpha-Attendee",)
NAMES_B = ("Bo Bravo-Attendee",)
UNCONFIRMED = ("Paul Pending-Alpha", "Cy Cancelled-Bravo")
SECRET_ADDRESS = "Meeting point behind the kiosk, Wacker Drive 42"


@dataclass
class World:
    campaign: Campaign
    other_campaign: Campaign
    petition: Petition
    partner_org: Organisation
    other_org: Organisation
    embassy: Mission  # Washington
    consulate: Mission  # Chicago
    houston: Mission
    event_a: Event
    event_b: Event
    delivery_w: Delivery
    delivery_c: Delivery
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    # The objects of the one-object pages, by name (see ``furnish``).
    things: dict[str, Any] = field(default_factory=dict)
    # Each client's cookies as the world made them (``share``), given back before each test.
    cookies: dict[str, Any] = field(default_factory=dict)

    def share(self) -> World:
        """Ready this world to be made once for a module's tests (conftest.rows_for_the_module).

        Its logins happened outside any test, so without conftest's second
        factor at login: the sessions pass it here.
        """
        for role, client in self.clients.items():
            if self.users.get(role) is not None:
                pass_second_factor(client, self.users[role])
        self.cookies = {
            role: copy.deepcopy(client.cookies) for role, client in self.clients.items()
        }
        return self

    def for_a_test(self) -> World:
        """A copy for one test of a shared world: its own objects, each client's cookies as made."""
        for role, client in self.clients.items():
            client.cookies = copy.deepcopy(self.cookies[role])
        return copy.deepcopy(self, {id(client): client for client in self.clients.values()})

    def label(self, obj: Any) -> str:
        """A stable name for an object in the expectation tables."""
        names = {
            self.event_a: "event A",
            self.event_b: "event B",
            self.delivery_w: "delivery Washington",
            self.delivery_c: "delivery Chicago",
            self.partner_org: "partner organisation",
            self.other_org: "other organisation",
            self.campaign: "campaign",
            self.other_campaign: "other campaign",
        }
        return names.get(obj, repr(obj))

    def labels(self, objects: Any) -> frozenset[str]:
        return frozenset(self.label(obj) for obj in objects)


def mission(key: str, kind: str, name: str, city: str) -> Mission:
    return Mission.objects.create(
        key=key,
        sending_state="CN",
        kind=kind,
        name=name,
        host_country="US",
        city=city,
        source="test",
    )


def local(year: int, hour: int, zone: str) -> dt.datetime:
    return dt.datetime(year, 9, 24, hour, 0, tzinfo=zoneinfo.ZoneInfo(zone))


def rsvp(event: Event, name: str, email: str, status: str, people: int = 1) -> RSVP:
    address = canonicalize(email).address
    from django.conf import settings

    return RSVP.objects.create(
        event=event,
        name=name,
        email_hash=email_hash(address, settings.SIGNER_HASH_KEY),
        email_encrypted=crypto.encrypt(email),
        contact_ok=True,
        people=people,
        consent_version="test",
        status=status,
    )


def user(username: str, first: str = "", last: str = "") -> Any:
    return get_user_model().objects.create_user(
        username, password=PASSWORD, first_name=first, last_name=last
    )


def made_once(
    django_db_blocker: Any, then: Callable[[World], T], *, sign: bool = True
) -> Iterator[tuple[World, T]]:
    """The world of the demo petition and what ``then`` adds to it, made once for a module.

    For a module-scoped fixture (``yield from``): conftest.rows_for_the_module
    keeps the rows for each of the module's tests; hand each test
    ``World.for_a_test()`` and its own copies of the rest.
    """

    def make() -> tuple[World, T]:
        world = build_world(load_demo(2026), sign=sign)
        made = then(world)
        return world.share(), made

    yield from rows_for_the_module(django_db_blocker, make)


def build_world(petition: Petition, *, sign: bool = True) -> World:
    campaign = petition.campaign
    year = campaign.year
    partner_org, other_org = list(campaign.organisations.order_by("name"))[:2]
    other_campaign = Campaign.objects.create(
        title="Another campaign",
        slug="another-campaign",
        year=year,
        day_of_action=dt.date(year, 6, 20),
        target_person="Someone",
        target_title="Head of state",
        target_government="CN",
        status=Campaign.Status.OPEN,
    )
    embassy = mission(
        "test-emb-us", "embassy", "Embassy of the PRC in the United States", "Washington"
    )
    consulate = mission(
        "test-cg-chicago", "consulate_general", "Consulate-General of the PRC in Chicago", "Chicago"
    )
    houston = mission(
        "test-cg-houston", "consulate_general", "Consulate-General of the PRC in Houston", "Houston"
    )
    event_a = Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.VIGIL,
        title="Candlelight vigil at the embassy",
        venue="In front of the embassy",
        address="3505 International Place NW",
        city="Washington",
        country="US",
        mission=embassy,
        host=partner_org,
        starts_at=local(year, 20, "America/New_York"),
        time_zone="America/New_York",
        address_visibility=Event.AddressVisibility.PUBLIC,
    )
    event_b = Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.PROTEST,
        title="Protest at the consulate",
        venue="Near the consulate",
        address=SECRET_ADDRESS,
        city="Chicago",
        country="US",
        mission=consulate,
        host=other_org,
        starts_at=local(year, 11, "America/Chicago"),
        time_zone="America/Chicago",
        address_visibility=Event.AddressVisibility.RSVP,
    )
    rsvp(event_a, NAMES_A[0], RSVP_EMAILS[0], RSVP.Status.CONFIRMED, people=2)
    rsvp(event_a, UNCONFIRMED[0], RSVP_EMAILS[1], RSVP.Status.PENDING)
    rsvp(event_b, NAMES_B[0], RSVP_EMAILS[2], RSVP.Status.CONFIRMED, people=3)
    rsvp(event_b, UNCONFIRMED[1], "cy.cancelled@example.net", RSVP.Status.CANCELLED)

    users = {
        "coordinator_a": user("coord-washington", "Carla", "Capitol"),
        "coordinator_b": user("coord-chicago", "Chen", "Lakeshore"),
        "partner": user("partner-editor", "Pat", "Partner"),
        "organiser": user("organiser-olga", "Olga", "Organiser"),
        "organiser_b": user("organiser-bora", "Bora", "Bravo"),
        "outsider": user("outsider-otto"),
    }
    role_a = Role.objects.create(
        user=users["coordinator_a"], campaign=campaign, kind=Role.Kind.COORDINATOR
    )
    Assignment.objects.create(role=role_a, country="US", city="Washington")
    role_b = Role.objects.create(
        user=users["coordinator_b"], campaign=campaign, kind=Role.Kind.COORDINATOR
    )
    Assignment.objects.create(role=role_b, country="US", city="Chicago")
    Role.objects.create(
        user=users["partner"],
        campaign=campaign,
        kind=Role.Kind.PARTNER_EDITOR,
        organisation=partner_org,
    )
    Role.objects.create(user=users["organiser"], campaign=campaign, kind=Role.Kind.ORGANISER)
    grant_admin(users["organiser"])
    Role.objects.create(
        user=users["organiser_b"], campaign=other_campaign, kind=Role.Kind.ORGANISER
    )
    grant_admin(users["organiser_b"])

    delivery_w = Delivery.objects.create(
        campaign=campaign,
        mission=embassy,
        status=Delivery.Status.IN_PERSON,
        delivered_by="Carla Capitol",
        delivered_at=local(year, 10, "America/New_York"),
        received_by="Duty officer",
        updated_by=users["coordinator_a"],
    )
    delivery_c = Delivery.objects.create(campaign=campaign, mission=consulate)

    clients = {"anonymous": Client()}
    signer = Client()
    if sign:
        response = signer.post(
            reverse("signatures:sign", args=[petition.slug]), sign_data(email=SIGNER_EMAIL)
        )
        assert response.status_code == 302, response.status_code
    clients["signer"] = signer
    for role, account in users.items():
        client = Client()
        client.force_login(account)
        clients[role] = client
    users["anonymous"] = None
    users["signer"] = None
    return World(
        campaign=campaign,
        other_campaign=other_campaign,
        petition=petition,
        partner_org=partner_org,
        other_org=other_org,
        embassy=embassy,
        consulate=consulate,
        houston=houston,
        event_a=event_a,
        event_b=event_b,
        delivery_w=delivery_w,
        delivery_c=delivery_c,
        users=users,
        clients=clients,
    )


# Rows of every model the admin shows, per campaign: "A" (world.campaign) and
# "B" (world.other_campaign). For models that belong to an account (API
# tokens) the rows of each campaign's organiser.
Rows = dict[str, dict[type[Any], list[Any]]]


def populate(world: World) -> Rows:
    """Give both campaigns one row (or more) of every model in the admin."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from safepassage.accounts.models import Invitation
    from safepassage.api.models import ApiToken
    from safepassage.events.models import ReadingScript, RemembranceName
    from safepassage.exports.models import ExportLog
    from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument
    from safepassage.outbox.models import Message
    from safepassage.packets.models import Packet, PacketBuild, PacketDownload
    from safepassage.reports.models import AfterActionReport, PressKit
    from safepassage.signatures.models import (
        CampaignStats,
        EmbedOrigin,
        Erasure,
        ModerationAction,
        PaperTally,
        Signature,
    )

    year = world.campaign.year
    petition_b = Petition.objects.create(campaign=world.other_campaign, slug="another-petition")
    org_b = Organisation.objects.create(name="Bravo Refugee Aid", slug="bravo-refugee-aid")
    world.other_campaign.organisations.add(org_b)
    event_b = Event.objects.create(
        campaign=world.other_campaign,
        kind=Event.Kind.VIGIL,
        title="Vigil of the other campaign",
        city="Houston",
        country="US",
        host=org_b,
        starts_at=local(year, 19, "America/Chicago"),
        time_zone="America/Chicago",
    )
    rsvp_b = rsvp(event_b, "Bea Bravo-Guest", "bea.bravo@example.net", RSVP.Status.CONFIRMED)
    delivery_b = Delivery.objects.create(campaign=world.other_campaign, mission=world.houston)

    rows: Rows = {}
    parts = (
        ("A", world.campaign, world.petition, world.partner_org, "organiser", world.event_a),
        ("B", world.other_campaign, petition_b, org_b, "organiser_b", event_b),
    )
    for label, campaign, petition, organisation, persona, event in parts:
        organiser = world.users[persona]
        signatures = []
        for n, review in enumerate(("", "velocity: many signatures from one network")):
            address = f"signer-{label.lower()}-{n}@example.org"
            signatures.append(
                Signature.objects.create(
                    petition=petition,
                    status=Signature.Status.CONFIRMED,
                    confirmed_at=timezone.now(),
                    first_name=f"Signer{label}{n}",
                    last_name=f"Campaign{label}",
                    city="Seoul",
                    region="",
                    country="KR",
                    publish_name=True,
                    contact="count",
                    email_hash=email_hash(canonicalize(address).address, settings.SIGNER_HASH_KEY),
                    consent_version="test",
                    consent_hash="0" * 64,
                    review_reason=review,
                )
            )
        build = PacketBuild.objects.create(
            campaign=campaign, petition=petition, snapshot_at=timezone.now(), created_by=organiser
        )
        packet = Packet.objects.create(build=build, mission=world.embassy)
        letter = Letter.objects.create(campaign=campaign, organisation=organisation)
        # A packet e-mailed to a mission, sent but not yet recorded on its delivery.
        planned = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.PLANNED).first()
        assert planned is not None
        planned.message = Message.objects.create(
            kind=Message.Kind.DELIVERY, status=Message.Status.SENT, sent_at=timezone.now()
        )
        planned.save()
        rows[label] = {
            Campaign: [campaign],
            Petition: [petition],
            Organisation: [organisation],
            Signature: signatures,
            Erasure: [
                Erasure.objects.create(petition=petition, email_hash="e" * 64, reason="organiser")
            ],
            ModerationAction: [
                ModerationAction.objects.create(
                    petition=petition,
                    kind=ModerationAction.Kind.HIDE_NAMES,
                    reason="test",
                    created_by=organiser,
                )
            ],
            PaperTally: [
                PaperTally.objects.create(
                    petition=petition, source="paper list", country="US", count=3
                )
            ],
            EmbedOrigin: [
                EmbedOrigin.objects.create(
                    campaign=campaign,
                    organisation=organisation,
                    origin=f"https://partner-{label.lower()}.example",
                )
            ],
            Message: [
                Message.objects.create(
                    kind=Message.Kind.SIGNATURE_CONFIRM,
                    signature=signatures[0],
                    status=Message.Status.RETRY,
                )
            ],
            ExportLog: [
                ExportLog.objects.create(
                    campaign=campaign,
                    user=organiser,
                    kind=ExportLog.Kind.SIGNATURES,
                    format=ExportLog.Format.CSV,
                    rows=1,
                )
            ],
            PacketBuild: [build],
            Packet: [packet],
            PacketDownload: [
                PacketDownload.objects.create(
                    build=build, packet=packet, user=organiser, sha256="0" * 64
                )
            ],
            Letter: [letter],
            LetterVersion: [LetterVersion.objects.create(letter=letter, number=1, body="Dear")],
            Letterhead: [
                Letterhead.objects.create(
                    organisation=organisation,
                    name=f"Letterhead {label}",
                    kind=Letterhead.Kind.DESIGNED,
                )
            ],
            SupportingDocument: [
                SupportingDocument.objects.create(
                    campaign=campaign,
                    title=f"Report {label}",
                    language="en",
                    file=ContentFile(b"%PDF-1.4\n", name=f"report-{label}.pdf"),
                    sha256="0" * 64,
                )
            ],
            RemembranceName: [
                RemembranceName.objects.create(campaign=campaign, name=f"Remembered {label}")
            ],
            ReadingScript: [ReadingScript.objects.get_or_create(campaign=campaign)[0]],
            Event: [event],
            RSVP: list(RSVP.objects.filter(event=event)),
            Delivery: list(Delivery.objects.filter(campaign=campaign)),
            PressKit: [
                PressKit.objects.get_or_create(
                    campaign=campaign,
                    defaults={"press_release_title": "Press", "flyer_headline": "Flyer"},
                )[0]
            ],
            AfterActionReport: [
                AfterActionReport.objects.get_or_create(
                    campaign=campaign, defaults={"title": f"Report {label}"}
                )[0]
            ],
            CampaignStats: [CampaignStats.objects.get_or_create(campaign=campaign)[0]],
            Role: list(Role.objects.filter(campaign=campaign)),
            Invitation: [
                Invitation.objects.create(
                    campaign=campaign,
                    kind=Role.Kind.COORDINATOR,
                    name=f"Invited {label}",
                    invited_by=organiser,
                )
            ],
            ApiToken: [
                ApiToken.objects.create(
                    user=organiser,
                    name=f"token {label}",
                    token_hash=label * 64,
                    prefix=f"sp_{label}",
                )
            ],
        }
    from safepassage.accounts.models import AuthEvent

    for label, persona in (("A", "organiser"), ("B", "organiser_b")):
        account = world.users[persona]
        rows[label][AuthEvent] = [
            AuthEvent.objects.create(
                kind=AuthEvent.Kind.LOGIN, username=account.username, user=account
            )
        ]
    _populate_updates_and_webhooks(world, rows)
    from safepassage.api.models import Disclosure

    for label in ("A", "B"):
        token = rows[label][ApiToken][0]
        rows[label][Disclosure] = [
            Disclosure.objects.create(
                token=token,
                user=token.user,
                campaign=world.campaign if label == "A" else world.other_campaign,
                path="/api/osdi/v1/people",
                addresses=1,
            )
        ]
    assert rsvp_b in rows["B"][RSVP] and delivery_b in rows["B"][Delivery]
    return rows


def _populate_updates_and_webhooks(world: World, rows: Rows) -> None:
    """Updates, unsubscribes, webhook endpoints and deliveries of both campaigns."""
    from safepassage.updates.models import Unsubscribe, Update, UpdateText
    from safepassage.webhooks.models import Attempt, Endpoint
    from safepassage.webhooks.models import Delivery as WebhookDelivery

    for label, campaign in (("A", world.campaign), ("B", world.other_campaign)):
        update = Update.objects.create(campaign=campaign)
        UpdateText.objects.create(update=update, language="en", subject=f"News {label}", body="Hi")
        endpoint = Endpoint.objects.create(
            campaign=campaign,
            url=f"https://crm-{label.lower()}.partner.example/hook",
            events=["report.published"],
            secret_encrypted="",
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event="report.published", payload={"campaign": label}
        )
        Attempt.objects.create(delivery=delivery, number=1, status_code=500, error="HTTP 500")
        rows[label][Update] = [update]
        rows[label][Unsubscribe] = [
            Unsubscribe.objects.create(campaign=campaign, kind="signature", ref=1, via="page")
        ]
        rows[label][Endpoint] = [endpoint]
        rows[label][WebhookDelivery] = [delivery]


def _pdf() -> bytes:
    """A one-page PDF, blank."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# A 1x1 PNG, as a delivery photo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def furnish(world: World) -> Rows:
    """``populate``, then what the one-object team pages of campaign A need.

    In ``world.things``: evidence (a photo) and a response with a scan on the
    Washington delivery, the packet e-mailed for the Chicago one, a sample
    letter, the partner's and the other organisation's letters with a version
    each, the partner's letterhead, a finished packet build with its files,
    a moderation action, an import upload in progress (the organiser's) and
    each organiser's API token.
    """
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from safepassage.api.models import ApiToken
    from safepassage.deliveries import packets as sent_packets
    from safepassage.deliveries.models import Evidence, Response
    from safepassage.exports.models import ImportUpload
    from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument
    from safepassage.outbox.models import Message
    from safepassage.packets.models import Packet, PacketBuild
    from safepassage.signatures.models import ModerationAction

    rows = populate(world)
    a = rows["A"]
    things = world.things
    # The Chicago packet is queued, not yet sent: the delivery stays planned.
    chicago = Delivery.objects.get(pk=world.delivery_c.pk)
    assert chicago.message is not None
    Message.objects.filter(pk=chicago.message.pk).update(status=Message.Status.QUEUED, sent_at=None)
    pdf = _pdf()
    sent_packets.store(
        chicago.message.pk,
        sent_packets.PacketInfo(
            filename="petition.pdf", sha256=hashlib.sha256(pdf).hexdigest(), link="", to=""
        ),
        pdf,
    )
    things["evidence"] = Evidence.objects.create(
        delivery=world.delivery_w,
        kind=Evidence.Kind.PHOTO,
        file=ContentFile(PNG, name="photo.png"),
        uploaded_by=world.users["coordinator_a"],
    )
    things["response"] = Response.objects.create(
        delivery=world.delivery_w,
        received_on=timezone.localdate(),
        channel=Response.Channel.LETTER,
        summary="Received, no comment.",
        scan=ContentFile(pdf, name="reply.pdf"),
        recorded_by=world.users["coordinator_a"],
    )
    things["letter"] = a[Letter][0]
    things["version"] = a[LetterVersion][0]
    sample, _new = Letter.objects.get_or_create(
        campaign=world.campaign, organisation=None, language="en"
    )
    LetterVersion.objects.get_or_create(letter=sample, number=1, defaults={"body": "Dear"})
    things["sample"] = sample
    other = Letter.objects.create(campaign=world.campaign, organisation=world.other_org)
    LetterVersion.objects.create(letter=other, number=1, body="Dear")
    things["other_letter"] = other
    things["letterhead"] = a[Letterhead][0]
    things["document"] = a[SupportingDocument][0]
    build = a[PacketBuild][0]
    packet = a[Packet][0]
    Packet.objects.filter(pk=packet.pk).update(
        status=Packet.Status.DONE, sha256=hashlib.sha256(pdf).hexdigest()
    )
    packet.refresh_from_db()
    packet.file.save("packet.pdf", ContentFile(pdf))
    build.status = PacketBuild.Status.DONE
    build.zip_sha256 = hashlib.sha256(b"PK zip").hexdigest()
    build.zip_file.save("packets.zip", ContentFile(b"PK zip"), save=False)
    build.save()
    things["build"] = build
    things["packet"] = packet
    things["build_b"] = rows["B"][PacketBuild][0]
    things["moderation"] = a[ModerationAction][0]
    things["token"] = a[ApiToken][0]
    things["upload"] = ImportUpload.objects.create(
        campaign=world.campaign,
        petition=world.petition,
        created_by=world.users["organiser"],
        filename="paper.csv",
        content_encrypted=crypto.encrypt("first_name,last_name,city\nHana,Kim,Seoul\n"),
    )
    return rows

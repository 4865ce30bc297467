"""The people and things of a small day of action, shared by the accounts tests.

Washington (city A): a candlelight vigil at 20:00 at the embassy, hosted by
the partner organisation, address public. Chicago (city B): a protest at
11:00 at the consulate, hosted by another organisation, address shown only
to confirmed RSVPs. Each event has a confirmed RSVP (with an encrypted
address: the person agreed to be contacted) and one that is not confirmed.
The Washington delivery is done, the Chicago one planned. Houston has a
consulate with nothing happening at it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from conftest import sign_data
from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.services import grant_admin
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.deliveries.models import Delivery
from safepassage.directory.models import Mission
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.lib.emails import canonicalize, email_hash

# Every persona of the access matrix, in the order of its rows.
ROLES = (
    "anonymous",
    "signer",
    "coordinator_a",
    "coordinator_b",
    "partner",
    "organiser",
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

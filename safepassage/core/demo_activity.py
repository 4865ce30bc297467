"""The demo as a campaign in progress: signatures of the past weeks, deliveries planned.

Everything is placed relative to "today" (``core.demo.demo_day``): the day of
action a few weeks ahead, events on that day (events/demo.py), a delivery
planned at each mission with an event, and signers who signed and confirmed
over the past weeks, in the seed campaign's cities. The signers are made up:
no e-mail address exists for them (their hash is of a demo label), so no
mail can reach anyone. Made once per petition; loading the demo again only
moves the dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction

from safepassage.campaigns.models import Petition
from safepassage.deliveries.models import Delivery
from safepassage.events.models import Event
from safepassage.signatures import consent
from safepassage.signatures.counter import recount
from safepassage.signatures.models import Signature

# (first name, last name, city, region, country): the seed campaign's cities.
SIGNERS = [
    ("Emma", "Walker", "Washington", "US-DC", "US"),
    ("Daniel", "Kim", "Chicago", "US-IL", "US"),
    ("Grace", "Lee", "Los Angeles", "US-CA", "US"),
    ("Min-jun", "Park", "Seoul", "KR-11", "KR"),
    ("Seo-yeon", "Choi", "Busan", "KR-26", "KR"),
    ("Haruto", "Sato", "Tokyo", "JP-13", "JP"),
    ("Lena", "Schmidt", "Berlin", "DE-BE", "DE"),
    ("Oliver", "Brown", "London", "GB-ENG", "GB"),
    ("Sophie", "de Vries", "The Hague", "NL-ZH", "NL"),
    ("Liam", "Tremblay", "Toronto", "CA-ON", "CA"),
    ("Camila", "Silva", "Rio de Janeiro", "BR-RJ", "BR"),
    ("Mateo", "González", "Buenos Aires", "AR-C", "AR"),
]
SIGNATURES = 48  # four per city
PENDING = 3  # signed in the last days, not confirmed yet
WEEKS = 4  # signatures spread over the past weeks
MARKER = "demo-signer"


def _hash(petition: Petition, n: int) -> str:
    return hashlib.sha256(f"{MARKER}:{petition.pk}:{n}".encode()).hexdigest()


def _at(today: dt.date, days_ago: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour), tzinfo=dt.UTC)


@transaction.atomic
def load_demo_signatures(petition: Petition, today: dt.date) -> int:
    """Confirmed signatures over the past WEEKS, a few pending; made once. Returns how many."""
    if Signature.objects.filter(petition=petition, email_hash=_hash(petition, 0)).exists():
        return 0
    rows = []
    span = WEEKS * 7
    for n in range(SIGNATURES + PENDING):
        first, last, city, region, country = SIGNERS[n % len(SIGNERS)]
        pending = n >= SIGNATURES
        # More signers as the day approaches: spread so that later days get more.
        days_ago = 1 if pending else span - 1 - int((span - 1) * (n / SIGNATURES) ** 0.5)
        signed = _at(today, days_ago, 8 + n % 12)
        rows.append(
            Signature(
                petition=petition,
                status=Signature.Status.PENDING if pending else Signature.Status.CONFIRMED,
                first_name=first,
                last_name=last,
                city=city,
                region=region,
                country=country,
                publish_name=n % 5 != 0,
                contact=Signature.Contact.COUNT_ONLY,
                email_hash=_hash(petition, n),
                consent_version=consent.CONSENT_VERSION,
                consent_hash=consent.consent_hash(),
                created_at=signed,
                confirmed_at=None if pending else signed + dt.timedelta(minutes=7),
            )
        )
    Signature.objects.bulk_create(rows)
    recount(petition.pk)
    return len(rows)


def plan_demo_deliveries(petition: Petition) -> int:
    """A planned delivery at each mission where a demo event takes place; returns new ones."""
    campaign = petition.campaign
    created = 0
    missions = Event.objects.filter(campaign=campaign, mission__isnull=False).values_list(
        "mission_id", flat=True
    )
    for mission_id in sorted(set(missions)):
        _delivery, new = Delivery.objects.get_or_create(campaign=campaign, mission_id=mission_id)
        created += new
    return created

"""How fresh each mission's address is, per campaign, and the reminders to check it.

A mission's address is

- ``missing``: no postal address;
- ``stale``: its last confirmation (the newest verification of the address
  that still matches it, else the date of the mission's source) is unknown or
  older than ``DIRECTORY_ADDRESS_MAX_AGE_MONTHS`` (default 12);
- ``verified``: confirmed within that age.

``describe`` words it for print (packets, judged on the campaign's day of
action so a packet's bytes depend on stored data only) and the delivery page.

A campaign's missions to check are those it plans to deliver to (the
``planned_missions`` signal, answered by the apps that plan deliveries) and
those assigned to a coordinator. ``send_reminders`` (housekeeping) mails the
coordinators assigned to a mission that needs checking, through the outbox,
at most once per mission and campaign per ``DIRECTORY_REMINDER_DAYS``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.permissions import fold_city, fold_country
from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.directory.proposals import DirectoryNotice, Field, MissionFieldVerification
from safepassage.directory.signals import planned_missions
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders

STATES = ("missing", "stale", "verified")
BOARD_DAYS = 30  # the board flags missions to check from D-30


def max_age_months() -> int:
    return int(getattr(settings, "DIRECTORY_ADDRESS_MAX_AGE_MONTHS", 12))


def cutoff(today: date) -> date:
    """The oldest confirmation date still fresh on ``today``."""
    months = max_age_months()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return date(year, month + 1, day)


def address_confirmations(missions: list[Mission]) -> dict[int, date | None]:
    """Per mission: when its current address was last confirmed."""
    verified: dict[int, date] = {}
    for mission_id, value, at in (
        MissionFieldVerification.objects.filter(mission__in=missions, field=Field.POSTAL_ADDRESS)
        .order_by("mission_id", "-verified_at")
        .values_list("mission_id", "value", "verified_at")
    ):
        if mission_id in verified:
            continue
        mission = next(m for m in missions if m.pk == mission_id)
        if value.strip() == mission.postal_address.strip():
            verified[mission_id] = at.date()
    return {m.pk: verified.get(m.pk, m.source_date) for m in missions}


def state(mission: Mission, confirmed: date | None, today: date) -> str:
    if not mission.postal_address.strip():
        return "missing"
    if confirmed is None or confirmed < cutoff(today):
        return "stale"
    return "verified"


@dataclass(frozen=True)
class MissionFreshness:
    mission: Mission
    state: str
    confirmed: date | None


@dataclass(frozen=True)
class CampaignFreshness:
    campaign: Campaign
    rows: list[MissionFreshness]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(row.state for row in self.rows)
        return {name: found.get(name, 0) for name in STATES}

    @property
    def to_check(self) -> list[MissionFreshness]:
        return [row for row in self.rows if row.state != "verified"]


def planned_mission_ids(campaign: Campaign) -> set[int]:
    ids: set[int] = set()
    for _receiver, answer in planned_missions.send(sender=Campaign, campaign=campaign):
        ids |= {int(pk) for pk in answer or ()}
    ids |= set(
        Assignment.objects.filter(
            role__campaign=campaign, role__kind=Role.Kind.COORDINATOR, mission__isnull=False
        ).values_list("mission_id", flat=True)
    )
    return ids


def freshness_of(missions: list[Mission], today: date) -> dict[int, MissionFreshness]:
    confirmed = address_confirmations(missions)
    return {
        m.pk: MissionFreshness(m, state(m, confirmed[m.pk], today), confirmed[m.pk])
        for m in missions
    }


def mission_freshness(mission: Mission, today: date) -> MissionFreshness:
    """How fresh one mission's address is on ``today``, from stored dates only."""
    return freshness_of([mission], today)[mission.pk]


def confirmed_month(row: MissionFreshness) -> str:
    """``2024-06``: the month of the last confirmation, or nothing."""
    return row.confirmed.strftime("%Y-%m") if row.confirmed else ""


def describe(row: MissionFreshness) -> str:
    """One printed line on the address, for packets and the delivery pages.

    A missing address is said in words, never left as an empty block. Only
    the row's stored dates: the same record and day give the same words.
    """
    if row.state == "missing":
        return _("No address on record — check with the organiser.")
    month = confirmed_month(row)
    if row.state == "verified":
        return _("Address confirmed %(month)s.") % {"month": month}
    if month:
        return _("Address last confirmed %(month)s; it may have changed since.") % {"month": month}
    return _("Address never confirmed; check it with the organiser.")


def campaign_freshness(campaign: Campaign, today: date | None = None) -> CampaignFreshness:
    today = today or timezone.localdate()
    missions = list(
        Mission.objects.open()
        .of(campaign.target_government)
        .filter(pk__in=planned_mission_ids(campaign))
        .order_by("host_country", "city", "name")
    )
    by_id = freshness_of(missions, today)
    return CampaignFreshness(campaign, [by_id[m.pk] for m in missions])


def coordinators_of(campaign: Campaign, mission: Mission) -> list[Any]:
    """The active coordinators assigned to the mission, or to its city."""
    people = {}
    for assignment in Assignment.objects.filter(
        role__campaign=campaign, role__kind=Role.Kind.COORDINATOR, role__user__is_active=True
    ).select_related("role__user"):
        same_city = (
            not assignment.mission_id
            and assignment.city.strip()
            and mission.city.strip()
            and fold_country(assignment.country) == fold_country(mission.host_country)
            and fold_city(assignment.city) == fold_city(mission.city)
        )
        if assignment.mission_id == mission.pk or same_city:
            people[assignment.role.user.pk] = assignment.role.user
    return list(people.values())


def send_reminders(today: date | None = None) -> int:
    """Queue a reminder for each mission to check before an upcoming day of action."""
    today = today or timezone.localdate()
    period = timedelta(days=int(getattr(settings, "DIRECTORY_REMINDER_DAYS", 30)))
    queued = 0
    for campaign in Campaign.objects.filter(day_of_action__gte=today):
        for row in campaign_freshness(campaign, today).to_check:
            people = [p for p in coordinators_of(campaign, row.mission) if p.email]
            if people:
                queued += _remind(campaign, row.mission, people, period)
    return queued


def _remind(campaign: Campaign, mission: Mission, people: list[Any], period: timedelta) -> int:
    with transaction.atomic():
        # The mission's row lock serialises overlapping sweeps.
        Mission.objects.select_for_update().filter(pk=mission.pk).first()
        recent = DirectoryNotice.objects.filter(
            kind=DirectoryNotice.Kind.REMINDER,
            mission=mission,
            campaign=campaign,
            created_at__gte=timezone.now() - period,
        )
        if recent.exists():
            return 0
        for person in people:
            message = Message.objects.create(
                kind=Message.Kind.DIRECTORY_REMINDER,
                recipient_encrypted=crypto.encrypt(person.email),
            )
            DirectoryNotice.objects.create(
                kind=DirectoryNotice.Kind.REMINDER,
                message=message,
                mission=mission,
                campaign=campaign,
            )
        wake_senders()
    return len(people)

"""The organisers' day-of-action board: every mission with something happening at it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.permissions import fold_city, fold_country
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery
from safepassage.directory.freshness import BOARD_DAYS, freshness_of
from safepassage.directory.models import Mission
from safepassage.events.models import Event


def person(user: Any) -> str:
    """How the team names a person: full name and user name, or the user name."""
    full = user.get_full_name().strip()
    username = user.get_username()
    return f"{full} ({username})" if full else username


@dataclass
class BoardRow:
    mission: Mission
    events: list[Event] = field(default_factory=list)
    coordinators: list[str] = field(default_factory=list)
    delivery: Delivery | None = None
    # From D-30: "missing" or "stale" when the mission's address needs checking.
    address_check: str = ""

    @property
    def outcome(self) -> str:
        """delivered, refused, failed or pending (planned, or no delivery recorded yet)."""

        if self.delivery is None or self.delivery.status == Delivery.Status.PLANNED:
            return "pending"
        if self.delivery.status in Delivery.DONE:
            return "delivered"
        return str(self.delivery.status)  # refused or failed

    @property
    def last_update(self) -> datetime | None:
        return self.delivery.updated_at if self.delivery else None


@dataclass
class Board:
    campaign: Campaign
    rows: list[BoardRow]
    elsewhere: list[Event]  # events not at a mission (solidarity cities)
    generated_at: datetime

    @property
    def totals(self) -> dict[str, int]:
        totals = {"delivered": 0, "refused": 0, "failed": 0, "pending": 0}
        for row in self.rows:
            totals[row.outcome] += 1
        return totals


def _coordinators(campaign: Campaign) -> tuple[dict[Any, set[str]], ...]:
    by_mission: dict[Any, set[str]] = defaultdict(set)
    by_city: dict[Any, set[str]] = defaultdict(set)
    by_event: dict[Any, set[str]] = defaultdict(set)
    assignments = Assignment.objects.filter(
        role__campaign=campaign, role__kind=Role.Kind.COORDINATOR, role__user__is_active=True
    ).select_related("role__user")
    for assignment in assignments:
        name = person(assignment.role.user)
        if assignment.mission_id:
            by_mission[assignment.mission_id].add(name)
        elif assignment.event_id:
            by_event[assignment.event_id].add(name)
        elif assignment.city.strip():
            by_city[(fold_country(assignment.country), fold_city(assignment.city))].add(name)
    return by_mission, by_city, by_event


def build_board(campaign: Campaign) -> Board:
    events = (
        Event.objects.filter(campaign=campaign)
        .exclude(status=Event.Status.CANCELLED)
        .select_related("host")
        .order_by("starts_at", "pk")
    )
    deliveries = {
        d.mission_id: d
        for d in Delivery.objects.filter(campaign=campaign).select_related("updated_by")
    }
    at_mission: dict[int, list[Event]] = defaultdict(list)
    elsewhere: list[Event] = []
    for event in events:
        if event.mission_id is None:
            elsewhere.append(event)
        else:
            at_mission[event.mission_id].append(event)
    missions = (
        Mission.objects.open()
        .of(campaign.target_government)
        .filter(pk__in=set(at_mission) | set(deliveries))
        .order_by("host_country", "city", "name")
    )
    by_mission, by_city, by_event = _coordinators(campaign)
    rows = []
    for mission in missions:
        row_events = at_mission.get(mission.pk, [])
        names = set(by_mission.get(mission.pk, set()))
        if mission.city.strip():
            names |= by_city.get(
                (fold_country(mission.host_country), fold_city(mission.city)), set()
            )
        for event in row_events:
            names |= by_event.get(event.pk, set())
        rows.append(
            BoardRow(
                mission=mission,
                events=row_events,
                coordinators=sorted(names, key=str.casefold),
                delivery=deliveries.get(mission.pk),
            )
        )
    today = timezone.localdate()
    if (campaign.day_of_action - today).days <= BOARD_DAYS:
        # Only where a delivery is still to come: a done one needs no address any more.
        planned = [r for r in rows if r.delivery and r.delivery.status not in Delivery.DONE]
        states = freshness_of([row.mission for row in planned], today)
        for row in planned:
            if states[row.mission.pk].state != "verified":
                row.address_check = states[row.mission.pk].state
    return Board(campaign=campaign, rows=rows, elsewhere=elsewhere, generated_at=timezone.now())

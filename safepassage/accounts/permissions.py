"""Who may see and change what: one place, checked on the server for every view.

Brief, section 3: organisers see everything of their campaign; a city
coordinator sees the events, RSVPs and deliveries of the cities, missions
and events assigned to them and nothing else; a partner organisation
editor works on their organisation's letterhead, letters and events; the
public sees counts, maps, events, the directory and published reports.
Superusers are organisers of every campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Campaign

if TYPE_CHECKING:
    from safepassage.deliveries.models import Delivery
    from safepassage.events.models import Event


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def has_role(user: Any, campaign: Campaign | int, kind: str) -> bool:
    if not _authenticated(user):
        return False
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    return Role.objects.filter(user=user, campaign_id=campaign_id, kind=kind).exists()


def is_organiser(user: Any, campaign: Campaign | int) -> bool:
    if not _authenticated(user):
        return False
    return bool(user.is_superuser) or has_role(user, campaign, Role.Kind.ORGANISER)


def editable_organisations(user: Any, campaign: Campaign | int) -> set[int]:
    """Organisations whose material (letterhead, letters, events) the user may edit."""
    if not _authenticated(user):
        return set()
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    return set(
        Role.objects.filter(
            user=user, campaign_id=campaign_id, kind=Role.Kind.PARTNER_EDITOR
        ).values_list("organisation_id", flat=True)
    )


@dataclass(frozen=True)
class Scope:
    """What a coordinator looks after in one campaign."""

    cities: frozenset[tuple[str, str]] = field(
        default_factory=frozenset
    )  # (country, casefolded city)
    missions: frozenset[int] = field(default_factory=frozenset)
    events: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.cities or self.missions or self.events)


def coordinator_scope(user: Any, campaign: Campaign | int) -> Scope:
    if not _authenticated(user):
        return Scope()
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    assignments = Assignment.objects.filter(
        role__user=user, role__campaign_id=campaign_id, role__kind=Role.Kind.COORDINATOR
    ).values_list("country", "city", "mission_id", "event_id")
    cities, missions, events = set(), set(), set()
    for country, city, mission_id, event_id in assignments:
        if mission_id:
            missions.add(mission_id)
        elif event_id:
            events.add(event_id)
        else:
            cities.add((country.upper(), city.casefold()))
    return Scope(frozenset(cities), frozenset(missions), frozenset(events))


def _city_q(scope: Scope, country_field: str, city_field: str) -> Q:
    q = Q(pk__in=[])
    for country, city in scope.cities:
        q |= Q(**{country_field: country, f"{city_field}__iexact": city})
    return q


def events_for(user: Any, campaign: Campaign) -> QuerySet[Event]:
    """The events whose people (RSVPs) and details the user may manage."""
    from safepassage.events.models import Event

    events = Event.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return events
    q = Q(pk__in=[])
    organisations = editable_organisations(user, campaign)
    if organisations:
        q |= Q(host_id__in=organisations)
    scope = coordinator_scope(user, campaign)
    if not scope.empty:
        q |= Q(pk__in=scope.events) | Q(mission_id__in=scope.missions)
        q |= _city_q(scope, "country", "city")
    return events.filter(q)


def deliveries_for(user: Any, campaign: Campaign) -> QuerySet[Delivery]:
    """The deliveries the user may see and update."""
    from safepassage.deliveries.models import Delivery

    deliveries = Delivery.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return deliveries
    scope = coordinator_scope(user, campaign)
    if scope.empty:
        return deliveries.none()
    q = Q(mission_id__in=scope.missions) | _city_q(scope, "mission__host_country", "mission__city")
    from safepassage.events.models import Event

    in_events = Event.objects.filter(campaign=campaign, pk__in=scope.events)
    event_missions = [m for m in in_events.values_list("mission_id", flat=True) if m]
    q |= Q(mission_id__in=event_missions)
    return deliveries.filter(q)


def can_manage_event(user: Any, event: Event) -> bool:
    return events_for(user, event.campaign).filter(pk=event.pk).exists()


def can_manage_delivery(user: Any, delivery: Delivery) -> bool:
    return deliveries_for(user, delivery.campaign).filter(pk=delivery.pk).exists()


def can_see_rsvp_names(user: Any, event: Event) -> bool:
    """RSVP names: the event's coordinator and organisers only (not partner editors)."""
    if is_organiser(user, event.campaign):
        return True
    scope = coordinator_scope(user, event.campaign)
    if scope.empty:
        return False
    return (
        event.pk in scope.events
        or (event.mission_id is not None and event.mission_id in scope.missions)
        or (event.country.upper(), event.city.casefold()) in scope.cities
    )


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns in which the user has any role (all of them for superusers)."""
    if not _authenticated(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(roles__user=user).distinct()

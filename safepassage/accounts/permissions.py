"""Who may see and change what: one place, checked on the server for every view.

Brief, section 3: organisers see everything of their campaign; a city
coordinator sees the events, RSVPs and deliveries of the cities, missions
and events assigned to them and nothing else; a partner organisation
editor works on their organisation's letterhead, letters and events; the
public sees counts, maps, events, the directory and published reports.
Superusers are organisers of every campaign.

Every check is scoped to one campaign: a role, an assignment or an event in
another campaign grants nothing here. Inactive accounts have no rights.

Cities are compared the same way everywhere (``fold_city``: Unicode NFKC,
collapsed white space, full case folding), in Python rather than with the
database's case-insensitive match: SQLite's only folds ASCII letters while
PostgreSQL's folds all of Unicode, so "München" would have been in a
coordinator's scope on one database and not on the other, and the list of
events could disagree with the RSVP-name check.
"""

from __future__ import annotations

import unicodedata
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


def _campaign_id(campaign: Campaign | int) -> int:
    return campaign if isinstance(campaign, int) else campaign.pk


def fold_city(city: str) -> str:
    """The form in which two spellings of a city name are compared."""
    return " ".join(unicodedata.normalize("NFKC", city).split()).casefold()


def fold_country(country: str) -> str:
    return country.strip().upper()


def has_role(user: Any, campaign: Campaign | int, kind: str) -> bool:
    if not _authenticated(user):
        return False
    return Role.objects.filter(user=user, campaign_id=_campaign_id(campaign), kind=kind).exists()


def role_kinds(user: Any, campaign: Campaign | int) -> set[str]:
    """The kinds of role the user holds in the campaign (superusers: organiser)."""
    if not _authenticated(user):
        return set()
    kinds = set(
        Role.objects.filter(user=user, campaign_id=_campaign_id(campaign)).values_list(
            "kind", flat=True
        )
    )
    if user.is_superuser:
        kinds.add(Role.Kind.ORGANISER)
    return kinds


def is_organiser(user: Any, campaign: Campaign | int) -> bool:
    if not _authenticated(user):
        return False
    return bool(user.is_superuser) or has_role(user, campaign, Role.Kind.ORGANISER)


def organiser_campaigns(user: Any) -> QuerySet[Campaign]:
    """Campaigns the user organises (all of them for superusers): for admin querysets."""
    if not _authenticated(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(roles__user=user, roles__kind=Role.Kind.ORGANISER).distinct()


def editable_organisations(user: Any, campaign: Campaign | int) -> set[int]:
    """Organisations whose material (letterhead, letters, events) the user may edit."""
    if not _authenticated(user):
        return set()
    return set(
        Role.objects.filter(
            user=user,
            campaign_id=_campaign_id(campaign),
            kind=Role.Kind.PARTNER_EDITOR,
            organisation__isnull=False,
        ).values_list("organisation_id", flat=True)
    )


@dataclass(frozen=True)
class Scope:
    """What a coordinator looks after in one campaign."""

    cities: frozenset[tuple[str, str]] = field(
        default_factory=frozenset
    )  # (country, fold_city(city))
    missions: frozenset[int] = field(default_factory=frozenset)
    events: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.cities or self.missions or self.events)

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(country for country, _ in self.cities)

    def has_city(self, country: str, city: str) -> bool:
        return bool(city.strip()) and (fold_country(country), fold_city(city)) in self.cities


def coordinator_scope(user: Any, campaign: Campaign | int) -> Scope:
    if not _authenticated(user):
        return Scope()
    assignments = Assignment.objects.filter(
        role__user=user, role__campaign_id=_campaign_id(campaign), role__kind=Role.Kind.COORDINATOR
    ).values_list("country", "city", "mission_id", "event_id")
    cities, missions, events = set(), set(), set()
    for country, city, mission_id, event_id in assignments:
        if mission_id:
            missions.add(mission_id)
        elif event_id:
            events.add(event_id)
        elif country.strip() and city.strip():
            cities.add((fold_country(country), fold_city(city)))
    return Scope(frozenset(cities), frozenset(missions), frozenset(events))


def _in_scope(scope: Scope, event: Event) -> bool:
    return (
        event.pk in scope.events
        or (event.mission_id is not None and event.mission_id in scope.missions)
        or scope.has_city(event.country, event.city)
    )


def _scoped_event_ids(scope: Scope, campaign: Campaign) -> set[int]:
    """The campaign's events in a coordinator's scope (see fold_city for why in Python)."""
    from safepassage.events.models import Event

    if scope.empty:
        return set()
    candidates = Event.objects.filter(campaign=campaign).filter(
        Q(pk__in=scope.events) | Q(mission_id__in=scope.missions) | Q(country__in=scope.countries)
    )
    return {
        pk
        for pk, mission_id, country, city in candidates.values_list(
            "pk", "mission_id", "country", "city"
        )
        if pk in scope.events
        or (mission_id is not None and mission_id in scope.missions)
        or scope.has_city(country, city)
    }


def events_for(user: Any, campaign: Campaign) -> QuerySet[Event]:
    """The events whose details (and RSVP counts) the user may manage.

    Partner editors get their organisation's events here but must not see who
    comes: list RSVP names only through rsvp_events_for / can_see_rsvp_names.
    """
    from safepassage.events.models import Event

    events = Event.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return events
    q = Q(pk__in=[])
    organisations = editable_organisations(user, campaign)
    if organisations:
        q |= Q(host_id__in=organisations)
    scoped = _scoped_event_ids(coordinator_scope(user, campaign), campaign)
    if scoped:
        q |= Q(pk__in=scoped)
    return events.filter(q)


def rsvp_events_for(user: Any, campaign: Campaign) -> QuerySet[Event]:
    """The events whose RSVP names the user may see: organisers and the events' coordinators.

    Filter RSVPs with ``event__in=rsvp_events_for(...)``, never with events_for.
    """
    from safepassage.events.models import Event

    events = Event.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return events
    return events.filter(pk__in=_scoped_event_ids(coordinator_scope(user, campaign), campaign))


def deliveries_for(user: Any, campaign: Campaign) -> QuerySet[Delivery]:
    """The deliveries the user may see and update."""
    from safepassage.deliveries.models import Delivery
    from safepassage.events.models import Event

    deliveries = Delivery.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return deliveries
    scope = coordinator_scope(user, campaign)
    if scope.empty:
        return deliveries.none()
    missions = set(scope.missions)
    # The missions of the events assigned one by one.
    missions |= {
        m
        for m in Event.objects.filter(campaign=campaign, pk__in=scope.events).values_list(
            "mission_id", flat=True
        )
        if m is not None
    }
    # The missions in the assigned cities.
    in_countries = deliveries.filter(mission__host_country__in=scope.countries)
    missions |= {
        mission_id
        for mission_id, country, city in in_countries.values_list(
            "mission_id", "mission__host_country", "mission__city"
        )
        if scope.has_city(country, city)
    }
    return deliveries.filter(mission_id__in=missions)


def can_manage_event(user: Any, event: Event) -> bool:
    return events_for(user, event.campaign).filter(pk=event.pk).exists()


def can_manage_delivery(user: Any, delivery: Delivery) -> bool:
    return deliveries_for(user, delivery.campaign).filter(pk=delivery.pk).exists()


def can_see_rsvp_names(user: Any, event: Event) -> bool:
    """RSVP names: the event's coordinator and organisers only (not partner editors)."""
    if is_organiser(user, event.campaign_id):
        return True
    scope = coordinator_scope(user, event.campaign_id)
    return not scope.empty and _in_scope(scope, event)


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns in which the user has any role (all of them for superusers)."""
    if not _authenticated(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(roles__user=user).distinct()

"""Which of a campaign's events a person may manage, and whose RSVP names they may read.

The rules of accounts.permissions (roles and a coordinator's scope of cities,
missions and events) applied to events; one place, checked on the server by
every view and admin page that lists events or RSVPs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from safepassage.accounts.permissions import (
    Scope,
    coordinator_scope,
    editable_organisations,
    is_organiser,
)
from safepassage.campaigns.models import Campaign
from safepassage.events.models import Event


def _in_scope(scope: Scope, event: Event) -> bool:
    return (
        event.pk in scope.events
        or (event.mission_id is not None and event.mission_id in scope.missions)
        or scope.has_city(event.country, event.city)
    )


def _scoped_event_ids(scope: Scope, campaign: Campaign) -> set[int]:
    """The campaign's events in a coordinator's scope (see fold_city for why in Python)."""
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
    events = Event.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return events
    return events.filter(pk__in=_scoped_event_ids(coordinator_scope(user, campaign), campaign))


def can_manage_event(user: Any, event: Event) -> bool:
    return events_for(user, event.campaign).filter(pk=event.pk).exists()


def can_see_rsvp_names(user: Any, event: Event) -> bool:
    """RSVP names: the event's coordinator and organisers only (not partner editors)."""
    if is_organiser(user, event.campaign_id):
        return True
    scope = coordinator_scope(user, event.campaign_id)
    return not scope.empty and _in_scope(scope, event)

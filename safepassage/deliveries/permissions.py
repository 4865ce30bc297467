"""Which of a campaign's deliveries a person may see and update.

Organisers: all of them. A coordinator: the deliveries to the missions they
are assigned, the missions of their assigned events, and the missions in
their assigned cities (accounts.permissions.Scope).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from safepassage.accounts.permissions import coordinator_scope, is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery
from safepassage.events.models import Event


def deliveries_for(user: Any, campaign: Campaign) -> QuerySet[Delivery]:
    """The deliveries the user may see and update."""
    from safepassage.deliveries.models import Delivery

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


def can_manage_delivery(user: Any, delivery: Delivery) -> bool:
    return deliveries_for(user, delivery.campaign).filter(pk=delivery.pk).exists()

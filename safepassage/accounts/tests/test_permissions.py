"""The corners of permissions.py: spelling of cities, other campaigns, inactive accounts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from safepassage.accounts import permissions
from safepassage.accounts.models import Assignment, Role
from safepassage.accounts.tests.world import World, build_world, local, mission, user
from safepassage.deliveries import permissions as delivery_permissions
from safepassage.deliveries.models import Delivery
from safepassage.events import permissions as event_permissions
from safepassage.events.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(petition) -> World:
    cache.clear()
    return build_world(petition, sign=False)


def coordinator(world: World, campaign=None, **assignment) -> object:
    account = user(f"c-{Assignment.objects.count()}")
    role = Role.objects.create(
        user=account, campaign=campaign or world.campaign, kind=Role.Kind.COORDINATOR
    )
    Assignment.objects.create(role=role, **assignment)
    return account


def munich_event(world: World, city: str) -> Event:
    return Event.objects.create(
        campaign=world.campaign,
        kind=Event.Kind.SOLIDARITY,
        title="Solidarity in Munich",
        city=city,
        country="DE",
        starts_at=local(world.campaign.year, 18, "Europe/Berlin"),
        time_zone="Europe/Berlin",
    )


@pytest.mark.parametrize("assigned", ["München", "münchen", " MÜNCHEN ", "Mu\u0308nchen"])
def test_a_city_matches_in_any_case_and_spelling_on_every_database(world, assigned):
    event = munich_event(world, "München")
    consulate = mission("test-cg-munich", "consulate_general", "Consulate in Munich", "München")
    Delivery.objects.filter(pk=world.delivery_c.pk).update(mission=consulate)
    consulate.host_country = "DE"
    consulate.save()
    account = coordinator(world, country="de", city=assigned)
    assert list(event_permissions.events_for(account, world.campaign)) == [event]
    assert list(event_permissions.rsvp_events_for(account, world.campaign)) == [event]
    assert event_permissions.can_see_rsvp_names(account, event)
    assert [d.mission for d in delivery_permissions.deliveries_for(account, world.campaign)] == [
        consulate
    ]


def test_a_different_city_or_country_is_not_matched(world):
    munich_event(world, "München")
    for country, city in (("DE", "Münchenbernsdorf"), ("AT", "München"), ("DE", "Munchen")):
        account = coordinator(world, country=country, city=city)
        assert not event_permissions.events_for(account, world.campaign).exists()


def test_roles_and_assignments_in_another_campaign_grant_nothing_here(world):
    other_event = Event.objects.create(
        campaign=world.other_campaign,
        kind=Event.Kind.VIGIL,
        title="Elsewhere",
        city="Washington",
        country="US",
        mission=world.embassy,
        starts_at=local(world.campaign.year, 20, "America/New_York"),
        time_zone="America/New_York",
    )
    # Assigned to this campaign's event, but through a role in the other campaign.
    sneaky = coordinator(world, campaign=world.other_campaign, event=world.event_a)
    assert not event_permissions.events_for(sneaky, world.campaign).exists()
    assert not event_permissions.can_see_rsvp_names(sneaky, world.event_a)
    assert not delivery_permissions.deliveries_for(sneaky, world.campaign).exists()
    assert not event_permissions.events_for(sneaky, world.other_campaign).exists()
    # A city coordinator of this campaign sees nothing of the other one.
    washington = world.users["coordinator_a"]
    assert not event_permissions.events_for(washington, world.other_campaign).exists()
    assert not event_permissions.can_see_rsvp_names(washington, other_event)
    organiser = world.users["organiser"]
    assert not permissions.is_organiser(organiser, world.other_campaign)
    assert not event_permissions.can_see_rsvp_names(organiser, other_event)


def test_an_inactive_account_has_no_rights(world):
    for role in ("coordinator_a", "partner", "organiser"):
        account = world.users[role]
        account.is_active = False
        account.save()
        assert not event_permissions.events_for(account, world.campaign).exists()
        assert not delivery_permissions.deliveries_for(account, world.campaign).exists()
        assert not event_permissions.can_see_rsvp_names(account, world.event_a)
        assert not permissions.campaigns_for(account).exists()
        assert permissions.role_kinds(account, world.campaign) == set()


def test_a_superuser_organises_every_campaign(world):
    root = get_user_model().objects.create_superuser("root", password="x-" * 10)
    for campaign in (world.campaign, world.other_campaign):
        assert permissions.is_organiser(root, campaign)
        assert permissions.role_kinds(root, campaign) == {Role.Kind.ORGANISER}
    assert set(permissions.organiser_campaigns(root)) == {world.campaign, world.other_campaign}


def test_a_coordinator_of_one_event_sees_that_event_and_its_missions_delivery(world):
    account = coordinator(world, event=world.event_b)
    assert list(event_permissions.events_for(account, world.campaign)) == [world.event_b]
    assert event_permissions.can_see_rsvp_names(account, world.event_b)
    assert list(delivery_permissions.deliveries_for(account, world.campaign)) == [world.delivery_c]


def test_a_mission_coordinator_sees_the_missions_events_wherever_they_are_typed(world):
    Event.objects.filter(pk=world.event_a.pk).update(city="Washington, D.C.")
    account = coordinator(world, mission=world.embassy)
    assert list(event_permissions.events_for(account, world.campaign)) == [world.event_a]
    assert list(delivery_permissions.deliveries_for(account, world.campaign)) == [world.delivery_w]

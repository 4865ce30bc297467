"""Planning: one delivery per open mission of the campaign's target government."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries
from safepassage.deliveries.tests.conftest import make_mission


def test_planning_covers_open_missions_of_the_target_government(campaign, missions):
    assert plan_deliveries(campaign) == 3
    planned = set(Delivery.objects.values_list("mission__key", flat=True))
    assert planned == {"cn-cg-munich", "cn-e-de", "cn-e-kr"}  # not closed, not another state
    assert set(Delivery.objects.values_list("status", flat=True)) == {"planned"}
    # Every planned delivery has its first history row.
    assert all(d.history.count() == 1 for d in Delivery.objects.all())


def test_planning_again_adds_only_new_missions(campaign, missions):
    plan_deliveries(campaign)
    munich = Delivery.objects.get(mission=missions["munich"])
    Delivery.objects.filter(pk=munich.pk).update(notes="keep me")
    assert plan_deliveries(campaign) == 0
    make_mission("cn-cg-osaka", "consulate_general", "JP", "Osaka", 34.68, 135.50)
    assert plan_deliveries(campaign) == 1
    assert Delivery.objects.count() == 4
    assert Delivery.objects.get(pk=munich.pk).notes == "keep me"


def test_the_database_holds_one_delivery_per_mission(campaign, missions):
    plan_deliveries(campaign)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(campaign=campaign, mission=missions["munich"])


def test_the_command_plans_and_names_unknown_campaigns(campaign, missions):
    out = io.StringIO()
    call_command("plan_deliveries", "--campaign", campaign.slug, stdout=out)
    assert out.getvalue().startswith("3 deliveries planned (3 in all)")
    out = io.StringIO()
    call_command("plan_deliveries", "--campaign", campaign.slug, stdout=out)
    assert out.getvalue().startswith("0 deliveries planned (3 in all)")
    with pytest.raises(CommandError):
        call_command("plan_deliveries", "--campaign", "no-such-campaign")


def test_the_admin_plans_for_an_organiser(client, campaign, missions, organiser):
    organiser.is_staff = True
    organiser.save()
    client.force_login(organiser)
    page = client.get(reverse("admin:deliveries_delivery_plan"))
    assert page.status_code == 200 and campaign.title in page.content.decode()
    response = client.post(reverse("admin:deliveries_delivery_plan"), {"campaign": campaign.pk})
    assert response.status_code == 302
    assert Delivery.objects.filter(campaign=campaign).count() == 3
    assert {d.history.get().history_user for d in Delivery.objects.all()} == {organiser}


def test_the_admin_does_not_plan_for_a_coordinator(client, campaign, missions, munich_coordinator):
    munich_coordinator.is_staff = True
    munich_coordinator.save()
    client.force_login(munich_coordinator)
    client.post(reverse("admin:deliveries_delivery_plan"), {"campaign": campaign.pk})
    assert not Delivery.objects.exists()

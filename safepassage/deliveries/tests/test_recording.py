"""Recording what happened: the rules of each status, and the audit trail with its user."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from safepassage.deliveries import services
from safepassage.deliveries.models import Delivery
from safepassage.lib.geo.timezones import mission_time_zone

AT = dt.datetime(2026, 9, 24, 8, 30, tzinfo=UTC)


def test_planned_to_in_person_is_audited_with_the_user(deliveries, organiser):
    delivery = deliveries["munich"]
    services.record(
        delivery,
        "in_person",
        by="Munich volunteers",
        at=AT,
        received_by="Duty officer",
        notes="Handed over at the gate.",
        packet_sha256="AB" * 32,
        user=organiser,
    )
    delivery.refresh_from_db()
    assert delivery.status == "in_person"
    assert delivery.delivered_at == AT
    assert delivery.packet_sha256 == "ab" * 32  # normalised
    assert delivery.updated_by == organiser
    latest = delivery.history.latest("history_date")
    assert latest.history_user == organiser
    assert latest.status == "in_person"
    assert latest.prev_record.status == "planned"


@pytest.mark.parametrize(
    ("status", "values", "field"),
    [
        ("in_person", {"by": "Team"}, "delivered_at"),  # done needs a time
        ("posted", {}, "delivered_at"),
        ("emailed", {}, "delivered_at"),
        ("refused", {"at": AT}, "notes"),  # a refusal says what happened
        ("failed", {}, "notes"),
        ("in_person", {"at": AT}, "delivered_by"),  # who handed it over
        ("posted", {"at": AT, "packet_sha256": "xyz"}, "packet_sha256"),
        ("posted", {"at": AT, "packet_sha256": "a" * 63}, "packet_sha256"),
        ("faxed", {"at": timezone.now() + dt.timedelta(days=2)}, "delivered_at"),
    ],
)
def test_the_rules_refuse_incomplete_records(deliveries, organiser, status, values, field):
    delivery = deliveries["munich"]
    with pytest.raises(ValidationError) as caught:
        services.record(delivery, status, user=organiser, **values)
    assert field in caught.value.message_dict
    delivery.refresh_from_db()
    assert delivery.status == "planned" and delivery.history.count() == 1


def test_refused_and_failed_with_notes(deliveries, organiser):
    delivery = deliveries["berlin"]
    services.record(delivery, "failed", notes="The gate was closed for a holiday.", user=organiser)
    assert Delivery.objects.get(pk=delivery.pk).delivered_at is None
    services.record(
        delivery, "refused", at=AT, notes="The guard would not take it.", user=organiser
    )
    delivery.refresh_from_db()
    assert delivery.status == "refused" and delivery.received_by == ""


def test_a_naive_time_is_a_programming_error(deliveries, organiser):
    with pytest.raises(ValueError):
        services.record(
            deliveries["munich"], "posted", at=dt.datetime(2026, 9, 24, 10), user=organiser
        )


def test_a_coordinator_records_but_does_not_correct(deliveries, munich_coordinator, organiser):
    delivery = deliveries["munich"]
    assert "planned" not in services.allowed_statuses(munich_coordinator, delivery)
    services.record(delivery, "failed", notes="Closed today.", user=munich_coordinator)
    # After a failed attempt the coordinator tries again: not a correction.
    services.record(delivery, "posted", at=AT, user=munich_coordinator)
    delivery.refresh_from_db()
    assert services.allowed_statuses(munich_coordinator, delivery) == []
    with pytest.raises(PermissionDenied):
        services.record(delivery, "faxed", at=AT, user=munich_coordinator)
    # An organiser corrects it, back to planned too.
    services.record(delivery, "planned", at=AT, user=organiser)
    delivery.refresh_from_db()
    assert delivery.status == "planned" and delivery.delivered_at is None
    users = [row.history_user for row in delivery.history.order_by("history_date")]
    assert users == [None, munich_coordinator, munich_coordinator, organiser]


def test_someone_outside_the_scope_cannot_record(deliveries, seoul_coordinator, stranger):
    for user in (seoul_coordinator, stranger):
        with pytest.raises(PermissionDenied):
            services.record(deliveries["munich"], "posted", at=AT, user=user)


def test_a_stale_form_does_not_overwrite_a_newer_record(deliveries, organiser):
    delivery = deliveries["munich"]
    seen = delivery.updated_at
    services.record(delivery, "posted", at=AT, user=organiser)
    with pytest.raises(ValidationError):
        services.record(delivery, "faxed", at=AT, user=organiser, seen=seen)
    assert Delivery.objects.get(pk=delivery.pk).status == "posted"


def test_the_mission_time_zone_comes_from_the_nearest_city(missions):
    assert mission_time_zone(missions["munich"]) == "Europe/Berlin"
    assert mission_time_zone(missions["seoul"]) == "Asia/Seoul"
    missions["munich"].latitude = missions["munich"].longitude = None
    assert mission_time_zone(missions["munich"]) == "Europe/Berlin"  # by name


def form_data(delivery, **values):
    data = {
        "status": "in_person",
        "date": "2026-09-24",
        "time": "10:30",
        "time_zone": "Europe/Berlin",
        "delivered_by": "Munich volunteers",
        "received_by": "",
        "notes": "",
        "packet_sha256": "",
        "seen": delivery.updated_at.isoformat(),
    }
    data.update(values)
    return data


def test_the_page_takes_local_time_and_shows_the_history(client, deliveries, munich_coordinator):
    delivery = deliveries["munich"]
    client.force_login(munich_coordinator)
    url = reverse("deliveries:detail", args=[delivery.pk])
    page = client.get(url)
    assert page.context["record_form"]["time_zone"].value() == "Europe/Berlin"
    response = client.post(url, form_data(delivery, received_by="Consul Wang"))
    assert response.status_code == 302
    delivery.refresh_from_db()
    # 10:30 in Munich on 24 September (summer time) is 08:30 UTC.
    assert delivery.delivered_at == AT
    html = client.get(url).content.decode()
    assert "2026-09-24 10:30 Europe/Berlin" in html
    assert "planned → delivered in person" in html
    assert "Max" in html  # the coordinator's name in the history table


def test_the_page_shows_errors_and_saves_nothing(client, deliveries, organiser):
    delivery = deliveries["munich"]
    client.force_login(organiser)
    url = reverse("deliveries:detail", args=[delivery.pk])
    response = client.post(url, form_data(delivery, date="", time="", delivered_by=""))
    assert response.status_code == 400
    errors = response.context["record_form"].errors
    assert "date" in errors and "delivered_by" in errors
    response = client.post(url, form_data(delivery, time_zone=""))
    assert "time_zone" in response.context["record_form"].errors
    assert Delivery.objects.get(pk=delivery.pk).status == "planned"


def test_a_recorded_delivery_has_no_form_for_its_coordinator(
    client, deliveries, munich_coordinator, organiser
):
    delivery = deliveries["munich"]
    services.record(delivery, "posted", at=AT, user=organiser)
    client.force_login(munich_coordinator)
    url = reverse("deliveries:detail", args=[delivery.pk])
    assert client.get(url).context["record_form"] is None
    assert client.post(url, form_data(delivery, status="faxed")).status_code == 403
    assert Delivery.objects.get(pk=delivery.pk).status == "posted"


def test_admin_edits_follow_the_rules_and_are_audited(client, deliveries, organiser):
    organiser.is_superuser = organiser.is_staff = True
    organiser.save()
    client.force_login(organiser)
    delivery = deliveries["munich"]
    url = reverse("admin:deliveries_delivery_change", args=[delivery.pk])
    page = client.get(url)
    assert page.status_code == 200
    base = {
        "status": "refused",
        "delivered_by": "",
        "delivered_at_0": "2026-09-24",
        "delivered_at_1": "08:30:00",
        "received_by": "",
        "notes": "",
        "packet_sha256": "",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "responses-TOTAL_FORMS": "0",
        "responses-INITIAL_FORMS": "0",
    }
    refused = client.post(url, base)
    assert refused.status_code == 200  # a refusal needs a note
    assert Delivery.objects.get(pk=delivery.pk).status == "planned"
    saved = client.post(url, {**base, "notes": "Not accepted at the gate."})
    assert saved.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "refused"
    assert delivery.history.latest("history_date").history_user == organiser

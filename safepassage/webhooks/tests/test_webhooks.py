"""Webhooks end to end: a real HTTP server receives them, checks them, fails and recovers.

The events come from the real code paths (confirming a signature or an RSVP,
recording a delivery, publishing the report); the task queue's worker loop
(``run_tasks``) sends them; every delivered body is checked for names and
addresses.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import run_tasks
from personas import make_mission, organiser_of
from safepassage.deliveries import services as delivery_services
from safepassage.deliveries.models import Delivery as Handover
from safepassage.events import services as event_services
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.reports import report as reports
from safepassage.signatures import services as signature_services
from safepassage.signatures.consent import CONSENT_VERSION
from safepassage.signatures.models import Signature
from safepassage.webhooks import services
from safepassage.webhooks.models import Attempt, Delivery, Endpoint
from safepassage.webhooks.models import Event as Hook
from safepassage.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
SIGNER_EMAIL = "zebulon.quintavalle@example.org"
SIGNER_NAMES = ("Zebulon", "Quintavalle")
RSVP_NAME = "Hyacinth Undersecret"
RSVP_EMAIL = "hyacinth@example.net"


def subscribe(campaign: Any, receiver: Receiver, events: list[str] | None = None) -> Endpoint:
    endpoint, secret = services.create_endpoint(
        campaign, receiver.url, events or [e.value for e in Hook], description="partner CRM"
    )
    receiver.secret = secret
    return endpoint


def pending_signature(petition: Any) -> Signature:
    return pending_signature_of(petition, "")


def pending_signature_of(petition: Any, tag: str) -> Signature:
    address = SIGNER_EMAIL.replace("@", f"{tag}@")
    return Signature.objects.create(
        petition=petition,
        first_name=SIGNER_NAMES[0],
        last_name=SIGNER_NAMES[1],
        city="Seoul",
        region="KR-11",
        country="KR",
        publish_name=True,
        contact=Signature.Contact.UPDATES,
        email_hash=signature_services.hash_email(address),
        email_encrypted=crypto.encrypt(address),
        consent_version=CONSENT_VERSION,
        consent_hash="0" * 64,
    )


def assert_nothing_personal(received: list[Any]) -> None:
    for request in received:
        text = request.body.decode()
        assert EMAIL_LIKE.findall(text) == [], text
        for word in (*SIGNER_NAMES, *RSVP_NAME.split(), "hyacinth", "zebulon", "Olga Organiser"):
            assert word.lower() not in text.lower(), (word, text)


def make_due() -> None:
    """The retry's time has come (the task queue's run_after, moved to now)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_confirmed_signature_is_signed_and_carries_counts_and_place_only(petition, receiver):
    endpoint = subscribe(petition.campaign, receiver)
    signature = pending_signature(petition)
    assert signature_services.confirm(signature)
    run_tasks()

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.verified and got.path == "/hooks/safepassage"
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert got.headers["x-safepassage-event"] == "signature.confirmed"
    assert got.headers["x-safepassage-event-id"] == str(delivery.event_id) == got.json["id"]
    assert got.headers["content-type"] == "application/json"
    body = got.json
    assert body["event"] == "signature.confirmed"
    assert body["campaign"]["slug"] == petition.campaign.slug
    assert body["data"]["place"] == {
        "country": "KR", "region": "KR-11", "city": "Seoul", "mission": None,
    }  # fmt: skip
    assert body["data"]["counts"]["confirmed"] >= 1
    assert_nothing_personal(receiver.requests)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    logged = Attempt.objects.get(delivery=delivery)
    assert logged.status_code == 200 and logged.error == "" and logged.duration_ms >= 0
    assert logged.response_prefix == '{"ok": true}'


def test_a_tampered_body_does_not_verify(receiver):
    receiver.secret = "whsec_test"
    body = b'{"a":1}'
    good = services.signature("whsec_test", "1700000000", body)
    headers = {"x-safepassage-timestamp": "1700000000", "x-safepassage-signature": good}
    assert receiver.verify(headers, body)
    assert not receiver.verify(headers, b'{"a":2}')
    assert not receiver.verify({**headers, "x-safepassage-timestamp": "1700000001"}, body)


def test_a_failing_endpoint_gets_the_delivery_after_the_retry(petition, receiver):
    receiver.statuses = [500]
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    before = timezone.now()
    run_tasks()

    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == Delivery.Status.RETRYING and delivery.attempts == 1
    first = Attempt.objects.get(delivery=delivery)
    assert first.status_code == 500 and first.error == "HTTP 500"
    # Only a short prefix of the answer is kept.
    assert len(first.response_prefix) == 200 and first.response_prefix.startswith("Internal")
    wait = dt.timedelta(seconds=django_settings.WEBHOOK_BACKOFF_SECONDS)
    assert delivery.next_attempt_at is not None
    assert before + wait <= delivery.next_attempt_at <= timezone.now() + wait

    run_tasks()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    make_due()
    run_tasks()

    assert len(receiver.requests) == 2
    assert all(r.verified for r in receiver.requests)
    ids = {r.headers["x-safepassage-event-id"] for r in receiver.requests}
    assert ids == {str(delivery.event_id)}
    assert receiver.requests[0].body == receiver.requests[1].body
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    assert [a.status_code for a in delivery.log.order_by("number")] == [500, 200]


def test_attempts_are_bounded_and_the_wait_doubles(petition, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 503, 502, 200]
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    for _ in range(5):
        run_tasks()
        make_due()
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert len(receiver.requests) == 3
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()
    base = settings.WEBHOOK_BACKOFF_SECONDS
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3)] == [base, 2 * base, 4 * base]


def test_a_redirect_is_not_followed(petition, receiver):
    receiver.statuses = [302]
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    run_tasks()
    assert len(receiver.requests) == 1
    logged = Attempt.objects.get(delivery__endpoint=endpoint)
    assert logged.status_code == 302 and logged.error == "redirect not followed"


def test_replay_from_the_team_page_resends_with_the_same_event_id(petition, receiver):
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    run_tasks()
    delivery = Delivery.objects.get(endpoint=endpoint)

    client = Client()
    client.force_login(organiser_of(petition.campaign, "olga-hooks"))
    slug = petition.campaign.slug
    page = client.get(reverse("webhooks:endpoint", args=[slug, endpoint.pk])).content.decode()
    assert str(delivery.event_id) in page and receiver.secret not in page
    response = client.post(reverse("webhooks:replay", args=[slug, endpoint.pk, delivery.pk]))
    assert response.status_code == 302
    run_tasks()

    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert second.verified and second.body == first.body
    assert second.headers["x-safepassage-event-id"] == first.headers["x-safepassage-event-id"]
    assert delivery.log.order_by("number").last().replay  # type: ignore[union-attr]


def test_rsvps_deliveries_and_the_report_are_sent_without_names(petition, receiver):
    campaign = petition.campaign
    subscribe(campaign, receiver)
    organiser = organiser_of(campaign, "olga-events")
    organiser.first_name, organiser.last_name = "Olga", "Organiser"
    organiser.save()
    event = Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.VIGIL,
        title="Vigil at the embassy",
        address="1 Secret Lane",
        city="Washington",
        country="US",
        time_zone="America/New_York",
        starts_at=timezone.now() + dt.timedelta(days=30),
        status=Event.Status.CONFIRMED,
    )
    rsvp = RSVP.objects.create(
        event=event,
        name=RSVP_NAME,
        email_hash="h" * 64,
        email_encrypted=crypto.encrypt(RSVP_EMAIL),
        people=3,
        contact_ok=True,
        consent_version="test",
    )
    assert event_services.confirm(rsvp) == event_services.Outcome.CONFIRMED
    mission = make_mission("cn-embassy-us-hooks", "embassy", "US", "Washington")
    handover = Handover.objects.create(campaign=campaign, mission=mission)
    delivery_services.record(
        handover,
        Handover.Status.IN_PERSON,
        by="Olga Organiser",
        at=timezone.now(),
        received_by="Hyacinth Undersecret",
        user=organiser,
    )
    report = reports.report_for(campaign)
    reports.publish(report, organiser)
    run_tasks()

    by_event = {r.json["event"]: r for r in receiver.requests}
    assert set(by_event) == {"rsvp.confirmed", "delivery.recorded", "report.published"}
    assert all(r.verified for r in receiver.requests)
    rsvp_data = by_event["rsvp.confirmed"].json["data"]
    assert rsvp_data["counts"] == {"people": 3, "event_people": 3}
    assert rsvp_data["event"]["city"] == "Washington" and "address" not in rsvp_data["event"]
    handed = by_event["delivery.recorded"].json["data"]
    assert handed["status"] == "in_person" and handed["mission"]["key"] == "cn-embassy-us-hooks"
    published = by_event["report.published"].json["data"]
    assert published["url"].endswith(reverse("reports:report", args=[campaign.slug]))
    assert "Secret Lane" not in json.dumps([r.json for r in receiver.requests])
    assert_nothing_personal(receiver.requests)


def test_no_endpoint_no_delivery_and_other_campaigns_get_nothing(petition, receiver):
    from personas import make_campaign

    other = make_campaign("another-campaign-2026")
    subscribe(other, receiver)
    signature_services.confirm(pending_signature(petition))
    run_tasks()
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_a_switched_off_endpoint_gets_nothing(petition, receiver):
    endpoint = subscribe(petition.campaign, receiver)
    endpoint.active = False
    endpoint.save()
    signature_services.confirm(pending_signature(petition))
    run_tasks()
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_the_team_page_makes_an_endpoint_and_shows_its_secret_once(petition, receiver):
    client = Client()
    client.force_login(organiser_of(petition.campaign, "olga-new"))
    slug = petition.campaign.slug
    create = reverse("webhooks:create", args=[slug])
    refused = client.post(
        create, {"url": "http://partner.example/hook", "events": ["rsvp.confirmed"]}
    )
    assert refused.status_code == 200 and not Endpoint.objects.exists()
    assert "https://" in refused.content.decode()
    made = client.post(create, {"url": receiver.url, "events": ["report.published"]})
    endpoint = Endpoint.objects.get()
    secret = services.secret_of(endpoint)
    assert secret.startswith("whsec_") and secret in made.content.decode()
    assert endpoint.events == ["report.published"] and endpoint.secret_encrypted != secret
    for name in ("webhooks:index", "webhooks:endpoint"):
        args = [slug] if name == "webhooks:index" else [slug, endpoint.pk]
        page = client.get(reverse(name, args=args)).content.decode()
        assert receiver.url in page and secret not in page
    client.post(reverse("webhooks:endpoint", args=[slug, endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active
    client.post(reverse("webhooks:delete", args=[slug, endpoint.pk]))
    assert not Endpoint.objects.exists()


def test_deliveries_and_their_attempts_are_visible_in_the_admin(petition, receiver):
    receiver.statuses = [500]
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    run_tasks()
    delivery = Delivery.objects.get(endpoint=endpoint)
    client = Client()
    client.force_login(organiser_of(petition.campaign, "olga-admin", is_staff=True))
    listed = client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert str(delivery.event_id) in listed
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "HTTP 500" in html and "Seoul" in html
    assert SIGNER_EMAIL not in html
    client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "replay", "_selected_action": [delivery.pk]},
    )
    run_tasks()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and len(receiver.requests) == 2


def test_housekeeping_forgets_finished_deliveries_after_the_log_days(petition, receiver, settings):
    from safepassage.core.housekeeping import housekeeping

    receiver.statuses = [500]
    endpoint = subscribe(petition.campaign, receiver, ["signature.confirmed"])
    signature_services.confirm(pending_signature(petition))
    signature_services.confirm(pending_signature_of(petition, "second"))
    run_tasks()
    old, waiting = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
    assert {old.status, waiting.status} == {Delivery.Status.DELIVERED, Delivery.Status.RETRYING}
    if old.status != Delivery.Status.DELIVERED:
        old, waiting = waiting, old
    long_ago = timezone.now() - dt.timedelta(days=settings.WEBHOOK_LOG_DAYS + 1)
    Delivery.objects.update(created_at=long_ago)
    assert housekeeping()["webhook_deliveries_pruned"] == 1
    assert list(Delivery.objects.all()) == [waiting]  # still to be sent: kept
    assert not Attempt.objects.filter(delivery_id=old.pk).exists()


def test_a_signer_counted_only_is_placed_by_country_alone_and_a_held_one_not_at_all(
    petition, receiver
):
    subscribe(petition.campaign, receiver, ["signature.confirmed"])
    counted_only = pending_signature_of(petition, "count")
    Signature.objects.filter(pk=counted_only.pk).update(publish_name=False)
    held = pending_signature_of(petition, "held")
    Signature.objects.filter(pk=held.pk).update(review_reason="velocity: many signatures")
    for signature in (counted_only, held):
        signature.refresh_from_db()
        signature_services.confirm(signature)
    run_tasks()
    assert len(receiver.requests) == 1 and receiver.requests[0].verified
    place = receiver.requests[0].json["data"]["place"]
    assert place == {"country": "KR", "region": None, "city": None, "mission": None}
    assert "Seoul" not in receiver.requests[0].body.decode()

"""Provider webhooks (django-anymail): signed reports of bounces and complaints stop the mail.

The payloads are Mailgun's and Postmark's documented shapes, signed here with
the webhook key (Mailgun: HMAC-SHA256 of timestamp and token) or sent with the
shared secret (Postmark: HTTP basic auth), as the providers do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.urls import reverse

from conftest import run_tasks, sign_data
from personas import organiser_of
from safepassage.lib import crypto
from safepassage.outbox.models import Message, Undeliverable
from safepassage.signatures.models import CampaignStats, Signature
from safepassage.signatures.services import hash_email
from safepassage.updates import audience, services
from safepassage.updates.models import Update, UpdateText
from safepassage.updates.tests.helpers import signer

pytestmark = pytest.mark.django_db(transaction=True)

SIGNING_KEY = "key-test-mailgun-webhook-signing-0123456789"
SECRET = "hook:secret-for-postmark-webhooks"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()


@pytest.fixture(autouse=True)
def _provider(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": SECRET}
    settings.UPDATE_MAIL_PER_MINUTE = 0
    settings.REPEAT_MAIL_MINUTES = 0


def mailgun_event(
    recipient: str, event: str, outbox: int | None = None, key: str = SIGNING_KEY, **extra: object
) -> dict[str, object]:
    timestamp, token = str(int(time.time())), "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data: dict[str, object] = {
        "event": event,
        "timestamp": time.time(),
        "id": "CPgfbmQMTCKtHW6uIWtuVe",
        "recipient": recipient,
        "message": {"headers": {"message-id": "20260924.1@mg.example.org"}},
        "user-variables": {"outbox": str(outbox)} if outbox else {},
        **{name.replace("_", "-"): value for name, value in extra.items()},
    }
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def post_mailgun(payload: dict[str, object]):
    url = reverse("outbox:mailgun_tracking")
    # With MAIL_WEBHOOK_SECRET set, anymail wants it from every provider, Mailgun too.
    return Client(enforce_csrf_checks=True).post(
        url, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=AUTH
    )


def test_a_signed_hard_bounce_marks_the_address_by_its_hash_and_stops_updates(
    petition, smtp_server, caplog
):
    address = "Bounce.Me@Example.org"
    signer(petition, address, Signature.Contact.UPDATES, "en")
    signer(petition, "stays@example.org", Signature.Contact.UPDATES, "en")
    update = Update.objects.create(campaign=petition.campaign)
    UpdateText.objects.create(update=update, language="en", subject="News", body="Text.")
    assert audience.count(update) == 2
    payload = mailgun_event(
        address,
        "failed",
        severity="permanent",
        reason="bounce",
        delivery_status={"code": 550, "message": "No such user"},
    )
    assert post_mailgun(payload).status_code == 200
    [row] = Undeliverable.objects.all()
    assert row.email_hash == hash_email(address) and row.reason == "bounced"
    assert row.provider == "Mailgun"
    # Left out of the count and of the queue; and a message queued before is withheld.
    assert audience.count(update) == 1
    Message.objects.create(
        kind=Message.Kind.SIGNATURE_REPEAT, recipient_encrypted=crypto.encrypt(address)
    )
    services.send(update, None)
    run_tasks()
    assert [str(m["To"]) for m in smtp_server.wait_for(1)] == ["stays@example.org"]
    withheld = Message.objects.get(kind=Message.Kind.SIGNATURE_REPEAT)
    assert withheld.status == Message.Status.WITHHELD
    assert withheld.last_error == "address undeliverable"
    assert address.lower() not in "\n".join(
        r.getMessage().lower() for r in caplog.records if not r.name.startswith("mail.log")
    )


def test_a_soft_bounce_is_ignored_and_a_wrong_signature_refused(petition):
    soft = mailgun_event("later@example.org", "failed", severity="temporary")
    assert post_mailgun(soft).status_code == 200
    forged = mailgun_event("victim@example.org", "complained", key="not-the-key")
    assert post_mailgun(forged).status_code == 400
    assert not Undeliverable.objects.exists()


def test_a_complaint_through_postmark_needs_the_secret_and_stops_mail(petition):
    payload = {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Email": "annoyed@example.org",
        "From": "noreply@example.org",
        "BouncedAt": "2026-09-25T10:00:00Z",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Metadata": {},
        "Tag": "",
        "Description": "",
        "Details": "",
        "Inactive": True,
        "CanActivate": False,
        "Subject": "News",
        "ServerID": 1,
        "Name": "Spam complaint",
        "DumpAvailable": False,
        "Content": "",
    }
    url = reverse("outbox:postmark_tracking")
    body = json.dumps(payload)
    refused = Client().post(url, body, content_type="application/json")
    assert refused.status_code == 400 and not Undeliverable.objects.exists()
    accepted = Client().post(url, body, content_type="application/json", HTTP_AUTHORIZATION=AUTH)
    assert accepted.status_code == 200
    [row] = Undeliverable.objects.all()
    assert row.email_hash == hash_email("annoyed@example.org") and row.reason == "complained"


def test_webhooks_without_a_key_do_not_exist(settings, petition):
    settings.ANYMAIL = {}
    assert post_mailgun(mailgun_event("x@example.org", "complained")).status_code == 404
    assert (
        Client()
        .post(reverse("outbox:postmark_tracking"), "{}", content_type="application/json")
        .status_code
        == 404
    )


def test_a_bounced_confirmation_mail_is_counted_in_the_statistics(client, petition, smtp_server):
    client.post(petition.get_absolute_url(), sign_data(email="typo@exampel.org"))
    run_tasks()
    message = Message.objects.get(kind=Message.Kind.SIGNATURE_CONFIRM)
    payload = mailgun_event("typo@exampel.org", "failed", outbox=message.pk, severity="permanent")
    assert post_mailgun(payload).status_code == 200
    # The provider may report it twice: counted once.
    assert post_mailgun(payload).status_code == 200
    assert CampaignStats.objects.get(campaign=petition.campaign).confirm_bounces == 1
    # Shown to the organisers on the updates page.
    client.force_login(organiser_of(petition.campaign, "olga-bounces"))
    page = client.get(reverse("updates:index", args=[petition.campaign.slug])).content.decode()
    assert "reported 1 confirmation mail as a hard bounce" in page
    assert "typo@exampel.org" not in page

"""Outbox mail goes over a real SMTP server (aiosmtpd), with retries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from conftest import free_port, mail_text, run_tasks, sign_data
from safepassage.outbox.models import Message
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://[^\s]+/s/[0-9a-f-]{36}/(confirm|withdraw)/[0-9a-f]{40}/")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.REPEAT_MAIL_MINUTES = 10
    cache.clear()


def links(text: str) -> dict[str, str]:
    return {match.group(1): match.group(0) for match in LINK.finditer(text)}


def test_the_confirmation_mail_arrives_and_its_link_confirms(client, petition, smtp_server):
    client.post(petition.get_absolute_url(), sign_data(email="Reader@Example.org"))
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "Reader@Example.org"
    assert "confirm" in mail["Subject"].lower()
    found = links(mail_text(mail))
    assert set(found) == {"confirm", "withdraw"}
    path = found["confirm"].split("127.0.0.1:8000", 1)[-1]
    client.get(path)
    assert Signature.objects.get().status == Signature.Status.PENDING
    client.post(path)
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_sent_message_keeps_no_address(client, petition, smtp_server):
    client.post(petition.get_absolute_url(), sign_data())
    run_tasks()
    message = Message.objects.get()
    assert message.status == Message.Status.SENT
    assert message.recipient_encrypted == ""
    assert message.message_id.startswith("<") and message.sent_at is not None
    assert smtp_server.wait_for(1)[0]["Message-ID"] == message.message_id


def test_signing_again_mails_the_address_but_not_too_often(client, petition, smtp_server):
    for _ in range(3):
        client.post(petition.get_absolute_url(), sign_data(email="twice@example.org"))
        run_tasks()
    statuses = list(Message.objects.order_by("pk").values_list("kind", "status"))
    assert statuses == [
        ("signature-confirm", "sent"),
        ("signature-repeat", "withheld"),
        ("signature-repeat", "withheld"),
    ]
    assert len(smtp_server.wait_for(1)) == 1


def test_a_refused_connection_is_retried_and_the_reason_is_visible(
    client, petition, settings, smtp_server
):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    client.post(petition.get_absolute_url(), sign_data())
    run_tasks()
    message = Message.objects.get()
    assert message.status == Message.Status.RETRY
    assert message.attempts == 1
    assert message.last_error == "ConnectionRefusedError"
    assert message.recipient_encrypted != ""

    settings.EMAIL_PORT = smtp_server.port
    Message.objects.update(next_attempt_at=message.created_at)  # the retry is due
    run_tasks()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2
    assert len(smtp_server.wait_for(1)) == 1


def test_after_the_last_attempt_a_message_fails_for_good(client, petition, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.OUTBOX_MAX_ATTEMPTS = 2
    client.post(petition.get_absolute_url(), sign_data())
    for _ in range(2):
        Message.objects.update(next_attempt_at=Message.objects.get().created_at)
        run_tasks()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.recipient_encrypted == ""
    assert message.last_error == "ConnectionRefusedError"


def test_a_message_for_a_withdrawn_signature_is_withheld(client, petition, smtp_server):
    client.post(petition.get_absolute_url(), sign_data())
    signature = Signature.objects.get()
    Message.objects.update(status=Message.Status.RETRY)
    from safepassage.signatures import services

    services.erase(signature, reason="withdrawn")
    run_tasks()
    assert Message.objects.get().status == Message.Status.WITHHELD
    assert smtp_server.messages == []


def test_the_withdraw_link_in_the_mail_works(client, petition, smtp_server):
    client.post(petition.get_absolute_url(), sign_data())
    run_tasks()
    found = links(mail_text(smtp_server.wait_for(1)[0]))
    path = found["withdraw"].split("127.0.0.1:8000", 1)[-1]
    client.post(path)
    assert not Signature.objects.exists()


def test_a_recipient_no_key_can_open_fails_for_good(client, petition, settings, smtp_server):
    from cryptography.fernet import Fernet

    client.post(petition.get_absolute_url(), sign_data())
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped
    run_tasks()
    message = Message.objects.get()
    assert (message.status, message.last_error) == (
        Message.Status.FAILED,
        "cannot decrypt recipient",
    )
    assert message.recipient_encrypted == ""


def test_a_rendering_error_is_retried_like_any_other(client, petition, monkeypatch, smtp_server):
    from safepassage.outbox import sender

    def broken(message):
        raise KeyError("template")

    monkeypatch.setattr(sender, "render", broken)
    client.post(petition.get_absolute_url(), sign_data())
    run_tasks()
    message = Message.objects.get()
    assert (message.status, message.last_error) == (Message.Status.RETRY, "KeyError")


def test_an_outcome_never_overwrites_a_message_another_sender_took_over(
    client, petition, monkeypatch, smtp_server
):
    from safepassage.outbox import sender

    client.post(petition.get_absolute_url(), sign_data(email="taken.over@example.org"))
    client.post(petition.get_absolute_url(), sign_data(email="second@example.org"))
    taken_pk = Message.objects.order_by("pk").values_list("pk", flat=True)[0]
    send_one = sender._send_one

    def lease_lost(message, connection, mailed, *args):
        if message.pk == taken_pk:
            # Meanwhile this sender's lease ran out and another sender claimed the message.
            Message.objects.filter(pk=message.pk).update(claimed_by="another-sender")
        return send_one(message, connection, mailed, *args)

    monkeypatch.setattr(sender, "_send_one", lease_lost)
    run_tasks()
    taken, other = Message.objects.order_by("pk")
    # The other sender's claim stands, with the recipient it needs to send.
    assert (taken.status, taken.claimed_by) == (Message.Status.SENDING, "another-sender")
    assert taken.recipient_encrypted
    assert (other.status, other.claimed_by, other.recipient_encrypted) == (
        Message.Status.SENT,
        "",
        "",
    )

"""E-mail delivery through the outbox and a real SMTP server: proof, and never twice."""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from conftest import free_port, mail_text, run_tasks
from safepassage.deliveries import emailing, services
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.tests.conftest import tiny_pdf
from safepassage.outbox.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def send_form(pdf: bytes, name: str = "packet Munich.pdf", **extra):
    return {
        "packet": SimpleUploadedFile(name, pdf, content_type="application/pdf"),
        "language": "en",
        "confirm": "on",
        **extra,
    }


def test_an_emailed_packet_arrives_and_its_proof_is_recorded(
    client, deliveries, organiser, smtp_server
):
    delivery = deliveries["munich"]
    mission = delivery.mission
    pdf = tiny_pdf("Petition for Munich")
    client.force_login(organiser)
    response = client.post(reverse("deliveries:send", args=[delivery.pk]), send_form(pdf))
    assert response.status_code == 302
    delivery.refresh_from_db()
    message = delivery.message
    assert message.kind == "delivery" and message.status == "queued"
    assert message.recipient_encrypted and mission.email not in message.recipient_encrypted
    assert delivery.packet_sha256 == hashlib.sha256(pdf).hexdigest()
    assert delivery.status == "planned"  # not yet: the worker has not sent it

    run_tasks()
    [mail] = smtp_server.wait_for(1)
    message.refresh_from_db()
    assert message.status == "sent" and message.recipient_encrypted == ""
    assert mail["To"] == mission.email
    assert mail["Message-ID"] == message.message_id
    assert "People's Republic of China" in mail["Subject"]  # plain text, not HTML-escaped
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "packet Munich.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    text = mail_text(mail)
    assert mission.name in text and delivery.packet_sha256 in text

    # Viewing the delivery records the outcome.
    page = client.get(reverse("deliveries:detail", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == "emailed"
    assert delivery.delivered_at == message.sent_at
    html = page.content.decode()
    assert message.message_id.replace("<", "&lt;").replace(">", "&gt;") in html
    assert message.sent_at.strftime("%Y-%m-%d %H:%M:%S") in html
    latest = delivery.history.latest("history_date")
    assert latest.history_user == organiser and latest.status == "emailed"
    assert message.message_id in latest.history_change_reason
    # The packet as sent can be downloaded again.
    packet = client.get(reverse("deliveries:packet", args=[delivery.pk]))
    assert b"".join(packet.streaming_content) == pdf


def test_sending_twice_is_refused(client, deliveries, organiser, smtp_server):
    delivery = deliveries["munich"]
    client.force_login(organiser)
    url = reverse("deliveries:send", args=[delivery.pk])
    assert client.post(url, send_form(tiny_pdf())).status_code == 302
    again = client.post(url, send_form(tiny_pdf("other")), follow=True)
    assert "already been e-mailed" in again.content.decode()
    with pytest.raises(emailing.AlreadySent):
        emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    run_tasks()
    emailing.sync_email_deliveries()
    with pytest.raises((emailing.AlreadySent, ValidationError)):
        emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    assert Message.objects.count() == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert not client.get(url).context["can_send"]


def test_concurrent_sends_mail_once(deliveries, organiser, smtp_server):
    delivery = deliveries["munich"]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def send(n: int) -> None:
        try:
            barrier.wait()
            emailing.send_by_email(
                Delivery.objects.get(pk=delivery.pk),
                user=organiser,
                packet=tiny_pdf(f"copy {n}"),
                filename="p.pdf",
            )
            outcomes.append("sent")
        except emailing.AlreadySent:
            outcomes.append("refused")
        except Exception as error:  # pragma: no cover - reported below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "sent"], outcomes
    assert Message.objects.count() == 1
    run_tasks()
    assert len(smtp_server.wait_for(1)) == 1


def test_a_message_cannot_serve_two_deliveries(deliveries, organiser, smtp_server):
    emailing.send_by_email(
        deliveries["munich"], user=organiser, packet=tiny_pdf(), filename="p.pdf"
    )
    message = Delivery.objects.get(pk=deliveries["munich"].pk).message
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=deliveries["berlin"].pk).update(message=message)


def test_a_failed_mail_marks_the_delivery_failed_and_may_be_sent_again(
    client, deliveries, organiser, settings, smtp_server
):
    delivery = deliveries["munich"]
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.OUTBOX_MAX_ATTEMPTS = 1
    emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    run_tasks()
    first = Delivery.objects.get(pk=delivery.pk).message
    assert first is not None and first.status == "failed"
    assert emailing.sync_email_deliveries() == {"emailed": 0, "failed": 1}
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    latest = delivery.history.latest("history_date")
    assert latest.history_user == organiser
    assert "ConnectionRefusedError" in latest.history_change_reason
    assert emailing.sync_email_deliveries() == {"emailed": 0, "failed": 0}

    settings.EMAIL_PORT = smtp_server.port
    client.force_login(organiser)
    assert client.get(reverse("deliveries:send", args=[delivery.pk])).context["can_send"]
    second = emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    assert second.pk != first.pk
    run_tasks()
    assert emailing.sync_email_deliveries() == {"emailed": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == "emailed" and delivery.message == second
    assert len(smtp_server.wait_for(1)) == 1


def test_a_link_instead_of_an_attachment(client, deliveries, munich_coordinator, smtp_server):
    delivery = deliveries["munich"]
    client.force_login(munich_coordinator)
    link = "https://petition.example.org/packets/munich.pdf"
    response = client.post(
        reverse("deliveries:send", args=[delivery.pk]),
        {"link": link, "link_sha256": "C" * 64, "language": "en", "confirm": "on"},
    )
    assert response.status_code == 302
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert list(mail.iter_attachments()) == []
    assert link in mail_text(mail) and "c" * 64 in mail_text(mail)
    emailing.sync_email_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == "emailed" and delivery.packet_sha256 == "c" * 64
    assert delivery.history.latest("history_date").history_user == munich_coordinator


def test_the_send_form_refuses_what_it_cannot_send(client, deliveries, organiser):
    delivery = deliveries["munich"]
    client.force_login(organiser)
    url = reverse("deliveries:send", args=[delivery.pk])
    fake = SimpleUploadedFile("packet.pdf", b"<html>not a pdf</html>")
    response = client.post(url, {"packet": fake, "language": "en", "confirm": "on"})
    assert response.status_code == 400 and "packet" in response.context["form"].errors
    response = client.post(url, {"language": "en", "confirm": "on"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    response = client.post(url, {**send_form(tiny_pdf()), "confirm": ""})
    assert response.status_code == 400 and "confirm" in response.context["form"].errors
    assert not Message.objects.exists()
    delivery.mission.email = ""
    delivery.mission.save()
    assert not client.get(url).context["can_send"]
    with pytest.raises(ValidationError):
        emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    assert not Message.objects.exists()


def test_a_correction_after_the_mail_is_not_undone(deliveries, organiser, smtp_server):
    delivery = deliveries["munich"]
    emailing.send_by_email(delivery, user=organiser, packet=tiny_pdf(), filename="p.pdf")
    run_tasks()
    emailing.sync_email_deliveries()
    delivery.refresh_from_db()
    services.record(delivery, "failed", notes="The mission says the mail bounced.", user=organiser)
    assert emailing.sync_email_deliveries() == {"emailed": 0, "failed": 0}
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"

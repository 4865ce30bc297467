"""E-mail delivery attaches the mission's current packet itself, and refuses one out of date."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import run_tasks
from safepassage.campaigns.models import Petition
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries
from safepassage.deliveries.tests.conftest import jpeg_with_gps, make_mission
from safepassage.outbox.models import Message
from safepassage.packets import services as packets
from safepassage.packets.models import PacketBuild
from safepassage.packets.tests.conftest import _files, sign  # noqa: F401 (autouse fixture)
from safepassage.signatures import services as signing

pytestmark = pytest.mark.django_db(transaction=True)

MUNICH_NAME = "2026-09-24 Munich — Consulate General of China in Munich.pdf"


@pytest.fixture
def petition(campaign):
    return Petition.objects.create(campaign=campaign, slug="safe-passage-2026")


@pytest.fixture
def built(petition, deliveries):
    munich = deliveries["munich"].mission
    signer = sign(petition, munich, "Maximiliane", "Isarberger", city="Munich", region="DE-BY")
    build = packets.start_build(petition.campaign, petition, scope="mission")
    for packet_id in build.packets.values_list("pk", flat=True):
        packets.build_one(packet_id)
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE
    build.signer = signer  # type: ignore[attr-defined]
    return build


def send_built(client, delivery):
    return client.post(
        reverse("deliveries:send", args=[delivery.pk]),
        {"source": "built", "language": "en", "confirm": "on"},
    )


def test_the_current_packet_is_attached_as_built_under_its_human_name(
    client, built, deliveries, munich_coordinator, smtp_server
):
    delivery = deliveries["munich"]
    packet = built.packets.get(mission=delivery.mission)
    client.force_login(munich_coordinator)
    page = client.get(reverse("deliveries:send", args=[delivery.pk])).content.decode()
    assert MUNICH_NAME in page and "This packet is ready" in page
    assert send_built(client, delivery).status_code == 302
    delivery.refresh_from_db()
    assert delivery.packet_sha256 == packet.sha256
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == MUNICH_NAME
    with packet.file.open("rb") as handle:
        assert attachment.get_content() == handle.read()
    assert hashlib.sha256(attachment.get_content()).hexdigest() == packet.sha256


def test_a_stale_packet_is_refused_with_the_reason_and_an_offer_to_build_it(
    client, built, deliveries, munich_coordinator, smtp_server
):
    delivery = deliveries["munich"]
    signing.erase(built.signer, "withdrawn")
    client.force_login(munich_coordinator)
    response = send_built(client, delivery)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The mission&#x27;s packet is out of date (a signer withdrew or was erased" in html
    rebuild = reverse(
        "packets:build-mission", args=[built.campaign.slug, built.pk, delivery.mission_id]
    )
    assert rebuild in html and "Build this mission now" in html
    assert not Message.objects.exists()

    # Built again on request, it goes.
    assert (
        client.post(rebuild, {"next": reverse("deliveries:send", args=[delivery.pk])}).status_code
        == 302
    )
    run_tasks()
    assert send_built(client, delivery).status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).message is not None


def test_no_packet_built_yet_is_refused_clearly(client, petition, deliveries, organiser):
    client.force_login(organiser)
    response = send_built(client, deliveries["munich"])
    assert response.status_code == 400
    assert "No packet has been built for this mission yet" in response.content.decode()
    assert not Message.objects.exists()


def test_uploading_something_else_than_a_pdf_says_so(client, deliveries, organiser):
    client.force_login(organiser)
    url = reverse("deliveries:send", args=[deliveries["munich"].pk])
    photo = SimpleUploadedFile("packet.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"packet": photo, "language": "en", "confirm": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert response.context["form"].errors["packet"] == ["This file is not a PDF."]
    assert "This file is not a PDF." in html
    assert "Attach the packet or give a link" not in html
    response = client.post(url, {"source": "upload", "language": "en", "confirm": "on"})
    assert response.context["form"].errors["packet"] == ["Choose the PDF to attach."]
    assert not Message.objects.exists()


def test_the_delivery_form_starts_with_the_missions_time_zone(client, campaign, organiser):
    chicago = make_mission("cn-cg-chicago", "consulate_general", "US", "Chicago", 41.89, -87.63)
    plan_deliveries(campaign)
    delivery = Delivery.objects.get(campaign=campaign, mission=chicago)
    client.force_login(organiser)
    response = client.get(reverse("deliveries:detail", args=[delivery.pk]))
    form = response.context["record_form"]
    assert form["time_zone"].value() == "America/Chicago"
    assert '<option value="America/Chicago" selected>' in response.content.decode()

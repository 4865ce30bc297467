"""A mission's reply: recorded with its scan (cleaned) and listed on the delivery page."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from safepassage.deliveries.tests.conftest import jpeg_with_gps, tiny_pdf


def test_a_response_with_a_scanned_photo(client, deliveries, munich_coordinator):
    delivery = deliveries["munich"]
    client.force_login(munich_coordinator)
    response = client.post(
        reverse("deliveries:response", args=[delivery.pk]),
        {
            "received_on": "2026-10-02",
            "channel": "letter",
            "summary": "The consulate replied that it forwarded the petition.",
            "scan": SimpleUploadedFile("letter.jpg", jpeg_with_gps()),
        },
    )
    assert response.status_code == 302
    reply = delivery.responses.get()
    assert reply.recorded_by == munich_coordinator
    assert reply.history.get().history_user == munich_coordinator
    with reply.scan.open("rb") as handle:
        stored = handle.read()
    assert b"PhoneMaker" not in stored
    assert len(Image.open(io.BytesIO(stored)).getexif()) == 0
    assert Image.open(io.BytesIO(stored)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    page = client.get(reverse("deliveries:detail", args=[delivery.pk])).content.decode()
    assert "forwarded the petition" in page
    assert reverse("deliveries:response-scan", args=[delivery.pk, reply.pk]) in page
    served = client.get(reverse("deliveries:response-scan", args=[delivery.pk, reply.pk]))
    assert b"".join(served.streaming_content) == stored


def test_a_response_with_a_pdf_and_one_without_a_scan(client, deliveries, organiser):
    delivery = deliveries["berlin"]
    client.force_login(organiser)
    url = reverse("deliveries:response", args=[delivery.pk])
    pdf = tiny_pdf("Reply")
    client.post(
        url,
        {
            "received_on": "2026-10-01",
            "channel": "email",
            "summary": "Acknowledged.",
            "scan": SimpleUploadedFile("r.pdf", pdf),
        },
    )
    client.post(url, {"received_on": "2026-09-30", "channel": "phone", "summary": "A call."})
    replies = list(delivery.responses.all())
    assert [r.channel for r in replies] == ["phone", "email"]  # by date received
    assert not replies[0].scan
    with replies[1].scan.open("rb") as handle:
        assert handle.read() == pdf


def test_a_response_needs_a_summary_and_a_real_file(client, deliveries, organiser):
    delivery = deliveries["berlin"]
    client.force_login(organiser)
    response = client.post(
        reverse("deliveries:response", args=[delivery.pk]),
        {
            "received_on": "2026-10-01",
            "channel": "letter",
            "summary": "",
            "scan": SimpleUploadedFile("r.pdf", b"not a pdf at all"),
        },
    )
    assert response.status_code == 400
    errors = response.context["response_form"].errors
    assert "summary" in errors and "scan" in errors
    assert not delivery.responses.exists()

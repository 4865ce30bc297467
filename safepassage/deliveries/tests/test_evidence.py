"""Evidence and scans: images lose every metadata block, PDFs must be PDFs."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image, PngImagePlugin

from safepassage.deliveries.tests.conftest import jpeg_with_gps, tiny_pdf
from safepassage.lib import uploads


def upload(client, delivery, content, name="photo.jpg", kind="photo", **extra):
    return client.post(
        reverse("deliveries:evidence", args=[delivery.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content), **extra},
    )


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(image.info)
    for marker in (b"Exif", b"PhoneMaker", b"12345", b"Kim Ji-woo", b"http://ns.adobe.com/xap"):
        assert marker not in data, marker
    return image


def test_a_jpeg_loses_its_gps_exif_and_keeps_its_orientation(client, deliveries, organiser):
    original = jpeg_with_gps(size=(40, 20), orientation=6)
    assert b"PhoneMaker" in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    delivery = deliveries["munich"]
    client.force_login(organiser)
    response = upload(
        client, delivery, original, name="IMG_20260924_Kim.jpg", caption="At the gate"
    )
    assert response.status_code == 302
    evidence = delivery.evidence.get()
    assert evidence.uploaded_by == organiser and evidence.publish is False
    assert "Kim" not in evidence.file.name and evidence.file.name.endswith(".jpg")
    with evidence.file.open("rb") as handle:
        stored = handle.read()
    image = assert_no_metadata(stored)
    # Orientation 6 (rotate 90° clockwise) was applied before the tag went.
    assert image.format == "JPEG" and image.size == (20, 40)
    top = image.getpixel((10, 2))
    assert isinstance(top, tuple)
    assert top[2] > 150 and top[0] < 100  # the blue half is now on top
    # The page links the stored file, served only through the permission check.
    served = client.get(
        reverse("deliveries:evidence-file", args=[delivery.pk, evidence.pk]) + "?inline=1"
    )
    assert served["Content-Type"] == "image/jpeg"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == stored


def test_png_and_webp_lose_text_xmp_and_profiles(deliveries):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Kim Ji-woo")
    info.add_itxt(
        "XML:com.adobe.xmp",
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">http://ns.adobe.com/xap</x:xmpmeta>',
    )
    image = Image.new("RGBA", (8, 8), (0, 0, 255, 128))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    clean = uploads.clean_image(out.getvalue())
    assert clean.extension == "png"
    result = assert_no_metadata(clean.content)
    assert result.mode == "RGBA" and result.getpixel((0, 0)) == (0, 0, 255, 128)
    assert not getattr(result, "text", {})

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(
        out, "WEBP", exif=exif, xmp=b"<x:xmpmeta>PhoneMaker</x:xmpmeta>"
    )
    clean = uploads.clean_image(out.getvalue())
    assert clean.extension == "webp"
    assert_no_metadata(clean.content)


def test_a_pdf_receipt_is_stored_as_it_is(client, deliveries, organiser):
    delivery = deliveries["munich"]
    client.force_login(organiser)
    pdf = tiny_pdf("Receipt")
    assert upload(client, delivery, pdf, name="receipt.pdf", kind="receipt").status_code == 302
    evidence = delivery.evidence.get()
    with evidence.file.open("rb") as handle:
        assert handle.read() == pdf
    served = client.get(
        reverse("deliveries:evidence-file", args=[delivery.pk, evidence.pk]) + "?inline=1"
    )
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")  # never inline


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (b"<html><script>alert(1)</script></html>", "receipt.pdf", "receipt"),  # not a PDF
        (b"GIF89a" + b"\0" * 20, "photo.gif", "photo"),
        (jpeg_with_gps()[:200], "broken.jpg", "photo"),
        (tiny_pdf(), "scan.pdf", "photo"),  # a photo is an image
    ],
)
def test_other_files_are_refused(client, deliveries, organiser, content, name, kind):
    client.force_login(organiser)
    response = upload(client, deliveries["munich"], content, name=name, kind=kind)
    assert response.status_code == 400
    assert response.context["evidence_form"].errors["file"]
    assert not deliveries["munich"].evidence.exists()


def test_a_file_over_the_limit_is_refused(client, deliveries, organiser):
    client.force_login(organiser)
    big = b"%PDF-1.4\n" + b"0" * uploads.MAX_UPLOAD_BYTES
    response = upload(client, deliveries["munich"], big, name="big.pdf", kind="receipt")
    assert response.status_code == 400
    assert "15 MB" in str(response.context["evidence_form"].errors["file"])


def test_an_image_with_too_many_pixels_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100)
    with pytest.raises(ValidationError):
        uploads.clean_image(jpeg_with_gps(size=(20, 20)))


def test_the_publish_flag(client, deliveries, munich_coordinator):
    delivery = deliveries["munich"]
    client.force_login(munich_coordinator)
    upload(client, delivery, jpeg_with_gps(), publish="on")
    evidence = delivery.evidence.get()
    assert evidence.publish is True
    url = reverse("deliveries:evidence-publish", args=[delivery.pk, evidence.pk])
    client.post(url, {})
    evidence.refresh_from_db()
    assert evidence.publish is False
    client.post(url, {"publish": "on"})
    evidence.refresh_from_db()
    assert evidence.publish is True


def test_an_admin_upload_is_cleaned_too(client, deliveries, organiser):
    organiser.is_superuser = organiser.is_staff = True
    organiser.save()
    client.force_login(organiser)
    delivery = deliveries["munich"]
    url = reverse("admin:deliveries_delivery_change", args=[delivery.pk])
    response = client.post(
        url,
        {
            "status": "planned",
            "delivered_by": "",
            "delivered_at_0": "",
            "delivered_at_1": "",
            "received_by": "",
            "notes": "",
            "packet_sha256": "",
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "0",
            "evidence-0-kind": "photo",
            "evidence-0-file": SimpleUploadedFile("gps.jpg", jpeg_with_gps()),
            "evidence-0-caption": "",
            "responses-TOTAL_FORMS": "0",
            "responses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    evidence = delivery.evidence.get()
    assert evidence.uploaded_by == organiser
    with evidence.file.open("rb") as handle:
        assert_no_metadata(handle.read())

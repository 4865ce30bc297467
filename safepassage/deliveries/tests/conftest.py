"""Fixtures of the delivery tests: a campaign, missions, and people in each role."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

import personas
from personas import coordinator_of, make_user
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries


def make_mission(key, kind, country, city, lat, lon, **extra):
    extra.setdefault("email", f"{key}@mission.example")
    return personas.make_mission(key, kind, country, city, latitude=lat, longitude=lon, **extra)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def missions(db):
    return {
        "munich": make_mission("cn-cg-munich", "consulate_general", "DE", "Munich", 48.16, 11.53),
        "berlin": make_mission("cn-e-de", "embassy", "DE", "Berlin", 52.51, 13.42),
        "seoul": make_mission("cn-e-kr", "embassy", "KR", "Seoul", 37.57, 126.98),
        "closed": make_mission(
            "cn-cg-houston",
            "consulate_general",
            "US",
            "Houston",
            29.73,
            -95.39,
            status="closed",
            closed="2020-07-24",
        ),
        "other_state": make_mission(
            "kp-e-de", "embassy", "DE", "Berlin", 52.52, 13.40, sending_state="KP"
        ),
    }


@pytest.fixture
def deliveries(campaign, missions):
    plan_deliveries(campaign)
    return {
        name: Delivery.objects.get(campaign=campaign, mission=mission)
        for name, mission in missions.items()
        if name in ("munich", "berlin", "seoul")
    }


@pytest.fixture
def munich_coordinator(campaign):
    # Typed in another case than the directory's: the scope ignores case.
    return coordinator_of(campaign, "max", "DE", "munich")


@pytest.fixture
def seoul_coordinator(campaign):
    return coordinator_of(campaign, "minji", "KR", "Seoul")


@pytest.fixture
def stranger(db):
    return make_user("sam")


def jpeg_with_gps(size=(40, 20), orientation=6) -> bytes:
    """A real JPEG whose EXIF names a phone, a GPS position and an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    for x in range(size[0] // 2):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 40, 220))  # left half blue: orientation is visible
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X serial 12345"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 9.0, 33.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (11.0, 31.0, 47.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken by Kim Ji-woo", quality=95)
    return out.getvalue()


def tiny_pdf(text: str = "Petition") -> bytes:
    """A minimal, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()

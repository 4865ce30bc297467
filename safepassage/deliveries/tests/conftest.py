"""Fixtures of the delivery tests: a campaign, missions, and people in each role."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from PIL import ExifTags, Image

from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.services import plan_deliveries
from safepassage.directory.models import Mission

PASSWORD = "pw-deliveries-1"


def make_mission(key, kind, country, city, lat, lon, **extra):
    return Mission.objects.create(
        key=key,
        sending_state=extra.pop("sending_state", "CN"),
        kind=kind,
        name=extra.pop("name", f"{kind.replace('_', ' ').title()} of China in {city}"),
        host_country=country,
        city=city,
        latitude=lat,
        longitude=lon,
        email=extra.pop("email", f"{key}@mission.example"),
        source="https://example.org/missions",
        **extra,
    )


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
def campaign(db):
    return Campaign.objects.create(
        title="Save North Korean Refugees Day",
        slug="snkrd-2026",
        year=2026,
        day_of_action=dt.date(2026, 9, 24),
        target_person="Xi Jinping",
        target_title="President of the People's Republic of China",
        target_government="CN",
        status=Campaign.Status.OPEN,
    )


@pytest.fixture
def deliveries(campaign, missions):
    plan_deliveries(campaign)
    return {
        name: Delivery.objects.get(campaign=campaign, mission=mission)
        for name, mission in missions.items()
        if name in ("munich", "berlin", "seoul")
    }


def make_user(name, **extra):
    return get_user_model().objects.create_user(
        name, f"{name}@example.org", PASSWORD, first_name=name.title(), **extra
    )


@pytest.fixture
def organiser(campaign):
    user = make_user("olga")
    Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.ORGANISER)
    return user


def coordinator_of(campaign, name, country, city):
    user = make_user(name)
    role = Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.COORDINATOR)
    Assignment.objects.create(role=role, country=country, city=city)
    return user


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

"""Fixtures of the packet tests: a campaign, five missions, signers of every kind, a letter."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

import personas
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.directory.models import Mission, SignatureRoute
from safepassage.letters.models import Letter, LetterVersion, SupportingDocument
from safepassage.lib import crypto
from safepassage.packets.models import Packet
from safepassage.signatures.models import Signature

ATTACHMENT_TEXT = "Chair of the Commission of Inquiry wrote to Beijing"


def make_mission(key: str, kind: str, country: str, city: str, **extra: Any) -> Mission:
    extra.setdefault("postal_address", f"1 Embassy Road\n{city}")
    return personas.make_mission(key, kind, country, city, email=f"{key}@mission.example", **extra)


def pdf_text(data: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", handle.name, "-"],
            check=True,
            capture_output=True,
        )
    return result.stdout.decode("utf-8")


def simple_pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()  # type: ignore[no-any-return]


@dataclass
class Signers:
    """Signatures by role in the tests; ``emails`` are every signer's address."""

    named: dict[str, Signature] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)


_serial = iter(range(1, 10**9))


def sign(
    petition: Petition, mission: Mission | None, first: str, last: str, **extra: Any
) -> Signature:
    """A confirmed, counted signature with a distinctive e-mail address stored encrypted.

    Routed to ``mission`` (or found unroutable without one); ``placement=""``
    leaves it for the routing a build does first.
    """
    number = next(_serial)
    email = extra.pop("email", f"zq{number}secretlocal@signer{number}.example")
    # Routed already (or found unroutable): a build routes only what is not.
    placement = extra.pop(
        "placement", SignatureRoute.Placement.CITY if mission else SignatureRoute.Placement.NONE
    )
    values: dict[str, Any] = {
        "petition": petition,
        "status": Signature.Status.CONFIRMED,
        "first_name": first,
        "last_name": last,
        "city": "Berlin",
        "region": "DE-BE",
        "country": "DE",
        "publish_name": True,
        "contact": Signature.Contact.CONTACT,
        "email_hash": hashlib.sha256(email.encode()).hexdigest(),
        "email_encrypted": crypto.encrypt(email),
        "consent_version": "test",
        "consent_hash": hashlib.sha256(b"consent").hexdigest(),
        "confirmed_at": timezone.now(),
    }
    values.update(extra)
    if values["status"] == Signature.Status.PENDING:
        values["confirmed_at"] = None
    signature = Signature.objects.create(**values)
    if placement:
        SignatureRoute.objects.create(signature=signature, mission=mission, placement=placement)
    signature.test_email = email  # type: ignore[attr-defined]
    return signature


@pytest.fixture(autouse=True)
def _files(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every file of a test in its own directory (the private storage is made at import)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    fields = [Packet._meta.get_field("file"), SupportingDocument._meta.get_field("file")]
    for storage in {id(f.storage): f.storage for f in fields}.values():  # type: ignore[attr-defined]
        if isinstance(storage, FileSystemStorage):
            for cached in ("base_location", "location"):
                storage.__dict__.pop(cached, None)
            monkeypatch.setattr(storage, "_location", str(tmp_path / "private"))
    yield
    for storage in {id(f.storage): f.storage for f in fields}.values():  # type: ignore[attr-defined]
        for cached in ("base_location", "location"):
            storage.__dict__.pop(cached, None)


@pytest.fixture
def petition(campaign: Campaign) -> Petition:
    return Petition.objects.create(campaign=campaign, slug="safe-passage-2026")


@pytest.fixture
def missions(db: None) -> dict[str, Mission]:
    return {
        "berlin": make_mission("cn-e-de", "embassy", "DE", "Berlin"),
        "munich": make_mission("cn-cg-munich", "consulate_general", "DE", "Munich"),
        "seoul": make_mission("cn-e-kr", "embassy", "KR", "Seoul"),
        "tokyo": make_mission("cn-e-jp", "embassy", "JP", "Tokyo"),
        "empty": make_mission("cn-e-is", "embassy", "IS", "Reykjavik"),
        "closed": make_mission(
            "cn-cg-houston", "consulate_general", "US", "Houston", status="closed", closed="2020"
        ),
        "other_state": make_mission("kp-e-de", "embassy", "DE", "Berlin", sending_state="KP"),
    }


@pytest.fixture
def signers(petition: Petition, missions: dict[str, Mission]) -> Signers:
    berlin, munich, seoul, tokyo = (missions[k] for k in ("berlin", "munich", "seoul", "tokyo"))
    people = Signers()
    s = people.named
    s["anna"] = sign(petition, berlin, "Annegret", "Zimmerfeld", city="Potsdam", region="DE-BB")
    s["jonas"] = sign(petition, berlin, "Jonas", "Albrecht", city="Berlin", region="DE-BE")
    s["hidden"] = sign(
        petition,
        berlin,
        "Verborgen",
        "Quellmann",
        city="Quedlinburgstadt",
        region="Nordgau",
        publish_name=False,
    )
    s["withheld"] = sign(
        petition,
        berlin,
        "Zensiert",
        "Wolkenbruch",
        city="Wolkenheimstadt",
        region="Südmark",
        name_withheld=True,
    )
    s["held"] = sign(petition, berlin, "Gehalten", "Prüfungsfall", review_reason="throttled")
    s["pending"] = sign(petition, berlin, "Wartend", "Bestätigungslos", status="pending")
    s["munich"] = sign(petition, munich, "Maximiliane", "Isarberger", city="Munich", region="DE-BY")
    s["seoul"] = sign(petition, seoul, "지우", "김", city="서울", region="KR-11", country="KR")
    s["tokyo"] = sign(petition, tokyo, "さくら", "山田", city="東京", region="JP-13", country="JP")
    s["beijing"] = sign(petition, tokyo, "秀英", "王", city="横浜", region="JP-14", country="JP")
    s["unrouted"] = sign(petition, None, "Ohne", "Zuordnung")
    people.emails = [sig.test_email for sig in s.values()]  # type: ignore[attr-defined]
    return people


@pytest.fixture
def letter(campaign: Campaign) -> Letter:
    """The campaign's approved sample letter with one attachment."""
    document = SupportingDocument(campaign=campaign, title="COI chair letter", language="en")
    data = simple_pdf(ATTACHMENT_TEXT)
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.file.save("coi.pdf", ContentFile(data), save=False)
    document.save()
    sample = Letter.objects.create(campaign=campaign, language="en")
    sample.attachments.add(document)
    version = LetterVersion.objects.create(
        letter=sample,
        number=1,
        subject="Safe passage for North Korean refugees",
        body="Dear Ambassador,\n\nWe write to {{ mission_name }} in {{ mission_city }}. "
        "{{ signatures_mission }} people signed here.",
        closing="Respectfully",
        status=LetterVersion.Status.APPROVED,
    )
    sample.approved_version = version
    sample.save()
    return sample


@pytest.fixture
def partner_letter(campaign: Campaign, letter: Letter) -> Letter:
    """A partner's approved letter sharing the sample's attachment (deduplicated)."""
    organisation = Organisation.objects.create(name="Free Korea Union", slug="free-korea-union")
    campaign.organisations.add(organisation)
    own = Letter.objects.create(campaign=campaign, organisation=organisation, language="en")
    own.attachments.set(letter.attachments.all())
    version = LetterVersion.objects.create(
        letter=own,
        number=1,
        subject="From our union",
        body="Our union asks {{ mission_name }} for safe passage.",
        status=LetterVersion.Status.APPROVED,
    )
    own.approved_version = version
    own.save()
    return own

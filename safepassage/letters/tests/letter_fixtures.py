"""Data and PDF helpers shared by the letter merge/rendering/document tests."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image

import personas
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.directory.models import Mission
from safepassage.letters.models import Letter, Letterhead, LetterVersion, Signatory

DAY_OF_ACTION = dt.date(2026, 9, 24)
TODAY = dt.date(2026, 9, 1)


def make_campaign(slug: str = "snkr-2026") -> Campaign:
    return personas.make_campaign(slug, day_of_action=DAY_OF_ACTION)


def make_organisation(name: str = "Tokyo Refugee Aid Network") -> Organisation:
    return Organisation.objects.create(
        name=name,
        slug="tran",
        website="https://tran.example.org",
        postal_address="2-3-4 Kanda Jinbocho\nChiyoda-ku, Tokyo 101-0051",
        phone="+81 3 1234 5678",
    )


def make_mission(**overrides: object) -> Mission:
    values: dict[str, object] = {
        "key": "Q1",
        "sending_state": "CN",
        "kind": Mission.Kind.EMBASSY,
        "name": "Embassy of the People's Republic of China in Japan",
        "host_country": "JP",
        "city": "Tokyo",
        "postal_address": "3-4-33 Moto-Azabu, Minato-ku\nTokyo 106-0046",
        "postcode": "106-0046",
        "source": "https://example.org/directory",
    }
    values.update(overrides)
    return Mission.objects.create(**values)


def png_bytes(
    colour: tuple[int, int, int] = (10, 20, 160), size: tuple[int, int] = (120, 40)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def make_letter(
    campaign: Campaign,
    organisation: Organisation | None,
    *,
    language: str = "en",
    letterhead: Letterhead | None = None,
    body: str = "Dear {{ target_title }},\n\nWe write to {{ mission_name }}.",
    subject: str = "Safe passage for North Korean refugees",
    closing: str = "Respectfully yours,",
    signatories: tuple[tuple[str, str, bool], ...] = (),
) -> LetterVersion:
    letter = Letter.objects.create(
        campaign=campaign, organisation=organisation, language=language, letterhead=letterhead
    )
    version = LetterVersion.objects.create(
        letter=letter, number=1, subject=subject, body=body, closing=closing
    )
    for position, (name, title, with_image) in enumerate(signatories):
        signatory = Signatory(version=version, position=position, name=name, title=title)
        if with_image:
            signatory.signature_image.save(
                f"sig{position}.png", ContentFile(png_bytes()), save=False
            )
        signatory.save()
    return version


def html_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def pdf_pages_text(pdf: bytes, tmp_path: Path, name: str = "out.pdf") -> list[str]:
    """The text of each page as poppler's pdftotext reads it."""
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    """Whitespace collapsed, so line breaks chosen by the layout do not matter."""
    return " ".join(text.split())

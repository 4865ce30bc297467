"""Letters as PDF, read back with pypdf and pdftotext and drawn with pdftoppm.

Merge values, signatories and the letterhead must be on the page; an
uploaded letterhead must stay visible under the text; hostile input is
printed literally or dropped and never fetched; equal input gives equal bytes.
"""

from __future__ import annotations

import http.server
import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from conftest import require
from safepassage.letters import rendering
from safepassage.letters.merge import context_for
from safepassage.letters.models import Letterhead, SupportingDocument
from safepassage.letters.rendering import (
    attachment_pdfs,
    render_letter_pdf,
    render_letterhead_preview,
)
from safepassage.letters.tests.letter_fixtures import (
    TODAY,
    flat,
    html_pdf,
    make_letter,
    make_mission,
    make_organisation,
    pdf_pages_text,
    png_bytes,
)
from safepassage.lib.pdf import html_to_pdf, local_only_fetcher

BOARD = ["Chair: Hana Sato", "Treasurer: Kenji Mori", "Secretary: Aiko Tanaka"]
LONG_BODY = (
    "{{ date }}\n\n{{ mission_name }}  \n{{ mission_address }}\n\n"
    "Dear {{ target_title }} {{ target_name }},\n\n"
    "On {{ day_of_action }} we deliver {{ signatures_mission }} signatures to your mission, "
    "of {{ signatures_total }} in all.\n\n"
    + "\n\n".join(
        f"Paragraph {n}: the 1951 Convention and its 1967 Protocol bind every state party "
        "to protect refugees from being returned to persecution." * 3
        for n in range(1, 16)
    )
    + "\n\nFINAL-PARAGRAPH"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")


@pytest.fixture
def organisation(db):
    organisation = make_organisation()
    organisation.logo.save("logo.png", ContentFile(png_bytes((200, 30, 30), (80, 80))))
    return organisation


@pytest.fixture
def mission(db):
    return make_mission()


def context(version, mission, **overrides):
    values = context_for(
        version.letter, mission, signatures_mission=12345, signatures_total=1234567, on=TODAY
    )
    values.update(overrides)
    return values


def designed(organisation, **fields) -> Letterhead:
    return Letterhead.objects.create(
        organisation=organisation,
        name="Standard",
        kind=Letterhead.Kind.DESIGNED,
        footer_lines="\n".join(BOARD),
        accent_colour="#0a6e3c",
        **fields,
    )


def fonts_of(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            names.add(str(font.get_object()["/BaseFont"]))  # type: ignore[index]
    return names


def rasterise_first_page(pdf: bytes, tmp_path) -> Image.Image:
    path = tmp_path / "raster.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = sorted(tmp_path.glob("p-*.png"))
    return Image.open(png).convert("RGB")


# --- Designed letterhead ----------------------------------------------------------------


def test_a_designed_letter_carries_the_merge_values_signatories_and_letterhead(
    campaign, organisation, mission, tmp_path
):
    version = make_letter(
        campaign,
        organisation,
        letterhead=designed(organisation),
        body=LONG_BODY,
        signatories=(("Hana Sato", "Chair", True), ("Kenji Mori", "Treasurer", False)),
    )
    pdf = render_letter_pdf(version, context(version, mission))
    pages = [flat(page) for page in pdf_pages_text(pdf, tmp_path)]
    assert len(pages) >= 2
    first, everything = pages[0], " ".join(pages)
    # The head: name, address, phone, website; the board in the footer.
    for expected in (
        "Tokyo Refugee Aid Network",
        "2-3-4 Kanda Jinbocho",
        "Chiyoda-ku, Tokyo 101-0051",
        "+81 3 1234 5678",
        "https://tran.example.org",
        "Safe passage for North Korean refugees",
    ):
        assert expected in first
    for line in BOARD:
        assert line in first and line in pages[1]
    # The head is only on page one.
    assert "2-3-4 Kanda Jinbocho" not in pages[1]
    # The merge values.
    for expected in (
        "September 1, 2026",
        "September 24, 2026",
        "Embassy of the People's Republic of China in Japan",
        "3-4-33 Moto-Azabu, Minato-ku",
        "Tokyo 106-0046",
        "Japan",
        "12,345 signatures",
        "1,234,567 in all",
        "Dear President of the People's Republic of China Xi Jinping",
    ):
        assert expected in first, expected
    for expected in ("FINAL-PARAGRAPH", "Respectfully yours,", "Hana Sato", "Chair", "Kenji Mori"):
        assert expected in everything
    assert "{{" not in everything
    # Logo and signature image are embedded.
    reader = PdfReader(io.BytesIO(pdf))
    sizes = {image_size(image) for page in reader.pages for image in page.images}
    assert sizes == {(80, 80), (120, 40)}


def test_the_same_input_gives_the_same_bytes_and_no_dates(campaign, organisation, mission):
    version = make_letter(
        campaign,
        organisation,
        letterhead=designed(organisation),
        body=LONG_BODY,
        signatories=(("Hana Sato", "Chair", True),),
    )
    values = context(version, mission)
    first = render_letter_pdf(version, values)
    assert render_letter_pdf(version, values) == first
    metadata: dict[str, object] = dict(PdfReader(io.BytesIO(first)).metadata or {})
    assert "/CreationDate" not in metadata and "/ModDate" not in metadata
    assert b"CreationDate" not in first and b"ModDate" not in first
    # A different mission gives a different letter.
    assert render_letter_pdf(version, context(version, mission, mission_name="Other")) != first


def test_a_letter_without_letterhead_is_headed_by_its_sender(
    campaign, organisation, mission, tmp_path
):
    sample = make_letter(campaign, None)
    (page,) = pdf_pages_text(render_letter_pdf(sample, context(sample, mission)), tmp_path)
    assert flat(page).startswith("Save North Korean Refugees Day")
    assert "We write to Embassy of the People's Republic of China in Japan." in flat(page)

    own = make_letter(campaign, organisation, language="de")
    (page,) = pdf_pages_text(render_letter_pdf(own, context(own, mission)), tmp_path, "own.pdf")
    assert flat(page).startswith("Tokyo Refugee Aid Network")


# --- Uploaded letterhead ----------------------------------------------------------------

BAND = (220, 20, 60)  # crimson


def letterhead_pdf(word: str, pages: int = 1, band=BAND) -> bytes:
    sections = "".join(
        f'<section><div class="band"></div><p>{word}{n or ""}</p></section>' for n in range(pages)
    )
    return html_pdf(
        "<style>@page { size: A4; margin: 0 } section { height: 297mm; break-after: page }"
        f".band {{ height: 25mm; background: rgb{tuple(band)} }}"
        "p { margin: 5mm 20mm; font: 14pt 'Noto Sans' }</style>" + sections
    )


def uploaded(organisation, first: bytes, later: bytes | None = None) -> Letterhead:
    head = Letterhead(organisation=organisation, name="Printed", kind=Letterhead.Kind.UPLOADED)
    head.first_page.save("first.pdf", ContentFile(first), save=False)
    if later is not None:
        head.later_pages.save("later.pdf", ContentFile(later), save=False)
    head.save()
    return head


def rgb_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return [tuple(pixel) for pixel in image.convert("RGB").get_flattened_data()]  # type: ignore[misc, arg-type]


def image_size(image: Any) -> tuple[int, int]:
    assert image.image is not None
    return tuple(image.image.size)  # type: ignore[return-value]


def crimson_pixels(image: Image.Image) -> int:
    return sum(
        1
        for r, g, b in rgb_pixels(image)
        if abs(r - BAND[0]) < 25 and g < 60 and abs(b - BAND[2]) < 30
    )


def test_an_uploaded_letterhead_shows_under_the_letter(campaign, organisation, mission, tmp_path):
    head = uploaded(
        organisation, letterhead_pdf("ZEPHYRHEAD"), letterhead_pdf("LATERHEAD", band=(20, 20, 200))
    )
    version = make_letter(campaign, organisation, letterhead=head, body=LONG_BODY)
    pdf = render_letter_pdf(version, context(version, mission))
    pages = [flat(page) for page in pdf_pages_text(pdf, tmp_path)]
    assert len(pages) >= 2
    assert "ZEPHYRHEAD" in pages[0] and "September 1, 2026" in pages[0]
    assert "Embassy of the People's Republic of China in Japan" in pages[0]
    assert "LATERHEAD" not in pages[0]
    assert all("LATERHEAD" in page and "ZEPHYRHEAD" not in page for page in pages[1:])
    assert "FINAL-PARAGRAPH" in pages[-1]
    reader = PdfReader(io.BytesIO(pdf))
    assert round(float(reader.pages[0].mediabox.width)) == 595
    # The band is drawn, not hidden under a white page: at 40 dpi the 25 mm band
    # across the A4 width is about 39 x 330 pixels.
    image = rasterise_first_page(pdf, tmp_path)
    assert crimson_pixels(image) > 8000
    # The letter text is drawn too (dark pixels below the band).
    lower = image.crop((0, 100, image.width, image.height))
    assert sum(1 for pixel in rgb_pixels(lower) if max(pixel) < 90) > 500
    # Byte-identical when made again.
    assert render_letter_pdf(version, context(version, mission)) == pdf


def test_later_pages_use_the_first_page_pdfs_second_page_or_nothing(
    campaign, organisation, mission, tmp_path
):
    two_page = uploaded(organisation, letterhead_pdf("FIRSTHEAD", pages=2))
    version = make_letter(campaign, organisation, letterhead=two_page, body=LONG_BODY)
    pages = pdf_pages_text(render_letter_pdf(version, context(version, mission)), tmp_path)
    assert "FIRSTHEAD" in pages[0] and "FIRSTHEAD1" not in pages[0]
    assert all("FIRSTHEAD1" in page for page in pages[1:])

    one_page = Letterhead(organisation=organisation, name="Single", kind="uploaded")
    one_page.first_page.save("single.pdf", ContentFile(letterhead_pdf("ONLYHEAD")))
    version.letter.letterhead = one_page
    version.letter.save()
    version.refresh_from_db()
    pages = pdf_pages_text(render_letter_pdf(version, context(version, mission)), tmp_path, "b.pdf")
    assert "ONLYHEAD" in pages[0]
    assert all("ONLYHEAD" not in page for page in pages[1:]) and len(pages) >= 2


# --- Hostile input ----------------------------------------------------------------------


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A web server on loopback that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png_bytes())

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_hostile_bodies_and_values_are_printed_literally_or_dropped_never_fetched(
    campaign, organisation, mission, trap, tmp_path
):
    base, hits = trap
    body = (
        f'<img src="{base}/body.png"> <script>alert("pwned")</script> <b>RAWBOLD</b>\n\n'
        f"<style>body {{ background: url({base}/style.png) }}</style>\n\n"
        f"![pic]({base}/markdown.png) [a link]({base}/link)\n\n"
        "To {{ mission_name }}."
    )
    hostile_name = f'<img src="{base}/value.png"> *Embassy*'
    version = make_letter(
        campaign,
        organisation,
        letterhead=designed(organisation),
        body=body,
        subject="<i>{{ mission_name }}</i>",
    )
    pdf = render_letter_pdf(version, context(version, mission, mission_name=hostile_name))
    text = flat(" ".join(pdf_pages_text(pdf, tmp_path)))
    assert hits == []
    assert "pwned" not in text and "alert" not in text
    assert f"To {hostile_name}." in text  # literal, markup characters and all
    assert f'<i><img src="{base}/value.png"> *Embassy*</i>' in text
    assert "RAWBOLD" in text
    # Only the organisation's own logo is drawn.
    sizes = {
        image_size(image) for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images
    }
    assert sizes == {(80, 80)}


def test_the_fetcher_refuses_network_and_files_even_for_raw_html(trap, tmp_path):
    base, hits = trap
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    fetcher = local_only_fetcher()
    pdf = html_to_pdf(
        f'<p>X</p><img src="{base}/raw.png"><img src="file://{secret}">'
        f'<link rel="stylesheet" href="{base}/x.css">',
        fetcher=fetcher,
    )
    assert pdf.startswith(b"%PDF-")
    assert hits == []
    assert f"{base}/raw.png" in fetcher.refused and f"file://{secret}" in fetcher.refused
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images


# --- Languages and scripts --------------------------------------------------------------


def test_a_korean_letter_keeps_its_hangul_and_a_korean_date(
    campaign, organisation, mission, tmp_path
):
    body = (
        "{{ date }}\n\n{{ target_title }} 귀하\n\n"
        "탈북 난민의 강제 송환을 중단해 주십시오. 서명 {{ signatures_mission }}명."
    )
    version = make_letter(
        campaign,
        organisation,
        language="ko",
        body=body,
        subject="탈북 난민을 위한 안전한 통로",
        closing="존경을 담아",
        signatories=(("김영희", "대표", False),),
    )
    pdf = render_letter_pdf(version, context(version, mission))
    text = flat(" ".join(pdf_pages_text(pdf, tmp_path)))
    for expected in (
        "2026년 9월 1일",
        "탈북 난민의 강제 송환을 중단해 주십시오.",
        "서명 12,345명",
        "탈북 난민을 위한 안전한 통로",
        "존경을 담아",
        "김영희",
    ):
        assert expected in text, expected
    assert any(name.endswith("+Noto-Serif-CJK-KR") for name in fonts_of(pdf)), fonts_of(pdf)
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text().count("탈북") >= 2


def test_many_scripts_render_with_noto_fonts(campaign, organisation, mission, tmp_path):
    body = (
        "Latin: Refugee.\n\nКириллица: беженцы.\n\n한글: 난민.\n\nかな: なんみん カタカナ.\n\n"  # noqa: RUF001
        "漢字: 難民保護.\n\nעברית: פליטים.\n\nالعربية: لاجئون."  # noqa: RUF001
    )
    version = make_letter(campaign, organisation, body=body)
    pdf = render_letter_pdf(version, context(version, mission))
    text = flat(" ".join(pdf_pages_text(pdf, tmp_path)))
    for expected in ("Refugee", "беженцы", "난민", "なんみん", "カタカナ", "難民保護"):
        assert expected in text, expected
    assert "פליטים" in text or "םיטילפ" in text
    assert "لاجئون" in text or "نوئجال" in text
    fonts = " ".join(sorted(fonts_of(pdf))) + " "
    for family in ("+Noto-Serif ", "Noto-Serif-CJK", "Noto-Serif-Hebrew", "Noto-Naskh-Arabic"):
        assert family in fonts, fonts


def test_right_to_left_letters_are_set_right_to_left(campaign, organisation, mission, tmp_path):
    version = make_letter(campaign, organisation, language="ar", body="نطالب بحماية اللاجئين.")
    text = rendering.LetterText(subject="", body_html="<p>x</p>", closing="")
    html = rendering._letter_html(
        text,
        letterhead=None,
        head={"kind": "plain", "name": "N"},
        language="ar",
        title="t",
        page=rendering.PageSetup("A4", "1cm", "1cm"),
    )
    assert '<html lang="ar" dir="rtl">' in html
    pdf = render_letter_pdf(version, context(version, mission))
    assert "اللاجئين" in flat(" ".join(pdf_pages_text(pdf, tmp_path)))
    ltr = rendering._letter_html(
        text,
        letterhead=None,
        head={"kind": "plain", "name": "N"},
        language="ko",
        title="t",
        page=rendering.PageSetup("A4", "1cm", "1cm"),
    )
    assert '<html lang="ko" dir="ltr">' in ltr


# --- Preview and attachments ------------------------------------------------------------


def test_the_letterhead_preview_shows_the_head_and_placeholder_text(organisation, tmp_path):
    pages = pdf_pages_text(render_letterhead_preview(designed(organisation)), tmp_path)
    assert len(pages) == 1
    page = flat(pages[0])
    assert "Tokyo Refugee Aid Network" in page and "Treasurer: Kenji Mori" in page
    assert "This is where the text of your letter goes." in page

    head = uploaded(organisation, letterhead_pdf("PREVIEWHEAD"))
    (page,) = pdf_pages_text(render_letterhead_preview(head, language="ko"), tmp_path, "k.pdf")
    assert "PREVIEWHEAD" in page


def test_attachments_come_in_a_stable_order(campaign, organisation):
    version = make_letter(campaign, organisation)
    documents = [
        SupportingDocument.objects.create(
            campaign=campaign,
            title=title,
            language=language,
            file=f"supporting/{title}.pdf",
            sha256="0" * 64,
            pages=1,
        )
        for title, language in (
            ("Press release", "ko"),
            ("Inquiry letter", "en"),
            ("Press release", "en"),
        )
    ]
    version.letter.attachments.set(documents)
    assert [(d.title, d.language) for d in attachment_pdfs(version.letter)] == [
        ("Inquiry letter", "en"),
        ("Press release", "en"),
        ("Press release", "ko"),
    ]

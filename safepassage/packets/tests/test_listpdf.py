"""The signer-list PDF writer, read back with pdftotext, pypdf and pdftoppm.

Pure Python: no database. Each test renders small lists and checks what a
reader of the delivered PDF (a person, or a text extractor) would get.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image

from safepassage.packets.listpdf import ListRow, display_text, render_signer_list, rows_per_page

HEADERS = ("No.", "Name", "City", "Region", "Country")
TOTALS = ["Named signers: 812", "and 40 further signers who asked not to be named"]

# One value per script the writer must handle (kept short enough to fit).
SAMPLES = [
    ("Jürgen Müller-Łódź", "Kraków", "Małopolskie", "Polska"),
    ("Žofie Dvořáková", "Brno", "Jihomoravský kraj", "Česko"),
    ("Søren Ærø", "Århus", "Midtjylland", "Danmark"),
    ("Иван Петров", "Москва", "", "Россия"),
    ("Ελένη Παπαδοπούλου", "Αθήνα", "Αττική", "Ελλάδα"),
    ("김민준", "서울", "", "대한민국"),
    ("さくら カタカナ", "東京", "", "日本"),
    ("王小明", "北京", "", "中国"),
    ("محمد عبد الله", "القاهرة", "", "مصر"),
    ("לא סלאם فاطمة", "القدس", "", "ישראל"),
    ("דוד כהן", "ירושלים", "", "Israel"),
    ("Emoji 😀 Fan", "Berlin", "Berlin", "Deutschland"),
]

# poppler marks right-to-left runs with embedding controls in its output
_POPPLER_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e"))


def render(rows, **kwargs):
    options: dict[str, Any] = {
        "title": "Signatures for the Embassy in Berlin",
        "headers": HEADERS,
        "totals": TOTALS,
    }
    options.update(kwargs)
    return render_signer_list(rows, **options)


def pdftotext(pdf: bytes, *args: str) -> str:
    out = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True)
    assert out.stderr == b"", out.stderr
    return out.stdout.decode().translate(_POPPLER_MARKS)


def pages_text(pdf: bytes) -> list[str]:
    return pdftotext(pdf, "-layout").split("\f")[:-1]


def sample_rows(count: int = 0) -> list[ListRow]:
    values = SAMPLES if not count else [SAMPLES[0]] * count
    return [ListRow(i + 1, *value) for i, value in enumerate(values)]


def raster(pdf: bytes, page: int, tmp_path: Path) -> Image.Image:
    prefix = tmp_path / f"page{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            "-",
            str(prefix),
        ],
        input=pdf,
        check=True,
        capture_output=True,
    )
    return Image.open(f"{prefix}.png").convert("L")


def ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for value in image.crop(box).tobytes() if value < 128)


def test_every_value_of_every_script_comes_back_once_and_in_order():
    result = render(sample_rows())
    text = pdftotext(result.pdf)
    position = 0
    for name, city, region, country in SAMPLES:
        for value in (name, city, region, country):
            if not value:
                continue
            if value in ("Berlin",):
                continue  # also in the title
            assert text.count(value) == 1, value
        found = text.find(name, position)
        assert found >= 0, f"{name} out of order"
        position = found
    layout = pdftotext(result.pdf, "-layout")
    assert all(re.search(rf"^\s*{n}\s", layout, re.M) for n in range(1, len(SAMPLES) + 1))
    assert all(line in text for line in TOTALS)
    assert len(pypdf.PdfReader(io.BytesIO(result.pdf), strict=True).pages) == result.pages == 1
    assert result.rows == len(SAMPLES)


def test_mixed_direction_value_keeps_its_words():
    # Bidi reordering is drawn correctly, but poppler rebuilds the order of a
    # value mixing directions by its own line heuristics; the words survive.
    result = render([ListRow(1, "Mixed abc שלום def", "x", "", "y")])
    text = pdftotext(result.pdf)
    assert "שלום" in text and "Mixed abc" in text and "def" in text


def test_header_and_page_label_on_every_page_and_page_count_matches_pypdf():
    count = rows_per_page(first=True, subtitle=False) + rows_per_page() + 5
    result = render(sample_rows(count), page_label="Seite {page} von {pages}")
    reader = pypdf.PdfReader(io.BytesIO(result.pdf), strict=True)
    assert result.pages == len(reader.pages) == 3
    pages = pages_text(result.pdf)
    for index, page in enumerate(pages, start=1):
        assert re.search(r"No\.\s+Name\s+City\s+Region\s+Country", page)
        assert f"Seite {index} von 3" in page
    assert "Signatures for the Embassy in Berlin" in pages[0]
    assert "Signatures for the Embassy in Berlin" not in pages[1]


def test_rows_per_page_are_in_the_required_range():
    assert 40 <= rows_per_page(first=True) <= rows_per_page() <= 55


def test_same_input_gives_the_same_bytes():
    first = render(sample_rows(), subtitle="snapshot 2026-09-20 12:00 UTC")
    second = render(sample_rows(), subtitle="snapshot 2026-09-20 12:00 UTC")
    assert first.pdf == second.pdf
    assert b"/CreationDate" not in first.pdf and b"/ModDate" not in first.pdf


HOSTILE = [
    "<b>bold</b></td><script>",
    "a ) b ( c \\ d % endobj",
    "=cmd|' /C calc'!A0",
    "N" * 300,
    "evil\u202eoverride\u2066isolate\u200fmark",
    "zero\u200bwidth\ufeffchars",
    "bell\x07nul\x00c1\x85tab\tnew\nline",
    "\u0301\u0308 lone marks",
]


def test_hostile_values_render_literally_and_keep_the_layout():
    rows = [
        ListRow(i + 1, value, f"city{i}", f"region{i}", f"country{i}")
        for i, value in enumerate(HOSTILE)
    ]
    result = render(rows)
    reader = pypdf.PdfReader(io.BytesIO(result.pdf), strict=True)
    assert len(reader.pages) == 1
    layout = pdftotext(result.pdf, "-layout")
    lines = layout.splitlines()
    for i in range(len(HOSTILE)):
        line = next(line for line in lines if re.match(rf"\s*{i + 1}\s", line))
        # the other columns of the row stay on the row's own line, in order
        assert re.search(rf"city{i}\s+region{i}\s+country{i}\s*$", line), line
    text = pdftotext(result.pdf)
    assert "<b>bold</b></td><script>" in text
    assert "a ) b ( c \\ d % endobj" in text
    assert "=cmd|' /C calc'!A0" in text
    assert "eviloverrideisolatemark" in text
    assert "zerowidthchars" in text
    assert "N" * 300 not in text and "N…" in text  # shortened with an ellipsis
    assert "\u202e" not in display_text(HOSTILE[4])


def test_display_text_drops_controls_and_keeps_joiners():
    assert display_text("a\x00b\x1fc\x9fd") == "abcd"
    assert display_text("  two   spaces\u2028here ") == "two spaces here"
    assert display_text("e\u0301") == "é"
    assert display_text("\u202b\u05d0\u202c") == "\u05d0"
    assert display_text("👨\u200d👩") == "👨\u200d👩"


def test_metadata_holds_only_title_and_producer():
    result = render(
        sample_rows(), title="Signatures for the Embassy in Berlin", subtitle="Petition X"
    )
    reader = pypdf.PdfReader(io.BytesIO(result.pdf), strict=True)
    assert {str(k): str(v) for k, v in (reader.metadata or {}).items()} == {
        "/Title": "Signatures for the Embassy in Berlin",
        "/Producer": "safepassage",
    }
    trailer_id: Any = reader.trailer["/ID"]
    assert trailer_id[0] == trailer_id[1]


def test_empty_and_single_row_documents():
    empty = render([])
    assert empty.pages == 1 and empty.rows == 0
    text = pdftotext(empty.pdf)
    assert "Signatures for the Embassy in Berlin" in text and TOTALS[0] in text
    single = render([ListRow(1, "Ada Lovelace", "London", "England", "United Kingdom")])
    assert single.pages == 1
    assert re.search(
        r"1\s+Ada Lovelace\s+London\s+England\s+United Kingdom", pdftotext(single.pdf, "-layout")
    )


def test_a_full_first_page_and_one_row_more():
    capacity = rows_per_page(first=True, subtitle=False)
    full = render(sample_rows(capacity), totals=[])
    assert full.pages == 1
    assert re.search(rf"^\s*{capacity}\s", pages_text(full.pdf)[0], re.M)
    more = render(sample_rows(capacity + 1), totals=[])
    assert more.pages == 2
    pages = pages_text(more.pdf)
    assert re.search(rf"^\s*{capacity}\s", pages[0], re.M)
    assert not re.search(rf"^\s*{capacity + 1}\s", pages[0], re.M)
    assert re.search(rf"^\s*{capacity + 1}\s", pages[1], re.M)


def test_page_one_has_ink_in_title_and_table(tmp_path):
    result = render(sample_rows(30))
    image = raster(result.pdf, 1, tmp_path)
    width, height = image.size
    assert ink(image, (0, 0, width, height // 10)) > 50  # title
    assert ink(image, (0, height // 10, width, height // 2)) > 500  # table rows


def test_hangul_and_arabic_rows_are_drawn_with_real_glyphs(tmp_path):
    rows = [
        ListRow(1, "김민준 이서연 박지훈", "", "", ""),
        ListRow(2, "محمد عبد الله", "", "", ""),
        ListRow(
            3, "\U000f0000\U000f0001\U000f0002\U000f0003", "", "", ""
        ),  # no font: fallback glyphs
    ]
    result = render(rows, totals=[])
    image = raster(result.pdf, 1, tmp_path)
    text_layout = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=result.pdf, capture_output=True, check=True
    ).stdout.decode()
    scale = 50 / 72

    def row_box(number: int) -> tuple[int, int, int, int]:
        # the row's number locates its line; the values sit to its right
        found = re.findall(rf'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">{number}<', text_layout)
        top, bottom = min((float(a), float(b)) for a, b in found)
        return (int(85 * scale), int(top * scale), int(400 * scale), int(bottom * scale) + 1)

    hangul, arabic, fallback = (ink(image, row_box(n)) for n in (1, 2, 3))
    assert hangul > 40 and arabic > 20 and fallback > 10
    # an empty row draws nothing: the measure is not fooled by the zebra band
    assert (
        ink(image, (int(85 * scale), row_box(3)[3] + 2, int(400 * scale), row_box(3)[3] + 8)) == 0
    )
    # the fallback row is visible too, and its characters are still extractable
    assert "\U000f0000\U000f0001" in pdftotext(result.pdf)


@pytest.mark.parametrize("language", ["ja", "ko", "zh-hant"])
def test_cjk_language_variants_embed_and_extract(language):
    result = render([ListRow(1, "王小明 김민준 さくら", "", "", "")], language=language)
    assert "王小明 김민준 さくら" in pdftotext(result.pdf)
    assert f"/Lang({language})".encode() in result.pdf

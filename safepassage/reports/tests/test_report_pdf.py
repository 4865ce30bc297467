"""The after-action report as a PDF: read back as text, drawn as pixels, kept per snapshot.

The PDF is read with pypdf and poppler's pdftotext, and rasterised with
pdftoppm: the map's darkest shade (the top country) and the charts' bar
colours must be on the page, so the SVG drawings really were drawn.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from conftest import require
from safepassage.reports import report_pdf
from safepassage.reports.charts import YEAR_BAR_COLOUR
from safepassage.reports.models import AfterActionReport
from safepassage.reports.tests.test_report import (
    add_photo,
    assert_private,
    fresh,
    make_world,
    publish,
    sign,
)


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> None:
    fresh(settings, tmp_path)


@pytest.fixture
def world(petition: Any) -> Any:
    return make_world(petition)


TOP_COUNTRY = (0x0F, 0x3D, 0x78)  # svgmap's darkest shade: the class of the top country
DAY_BARS = (0x7C, 0x9C, 0xC8)  # charts.signatures_over_time's bars
YEAR_BARS = (0xD9, 0x82, 0x2B)  # charts.YEAR_BAR_COLOUR


def download(client: Any, slug: str) -> bytes:
    response = client.get(reverse("reports:report_pdf", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return bytes(response.content)


def pdftotext(path: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode()


def pixels(path: Path, tmp_path: Path) -> Counter[tuple[int, int, int]]:
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    counts: Counter[tuple[int, int, int]] = Counter()
    for page in sorted(tmp_path.glob("page-*.png")):
        with Image.open(page) as image:
            rgb = image.convert("RGB")
            counts.update(rgb.get_flattened_data())  # type: ignore[arg-type]
    return counts


@pytest.mark.django_db
def test_the_pdf_has_the_figures_the_map_and_the_charts(world, tmp_path):
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    add_photo(world, publish=True, caption="Handing over the petition")
    publish(world)
    content = download(world.clients["anonymous"], world.campaign.slug)
    path = tmp_path / "report.pdf"
    path.write_bytes(content)

    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert "What we did in 2026" in text
    assert "Germany" in text
    poppler = pdftotext(path)
    assert "What we did in 2026" in poppler
    assert "Counted signatures" in poppler and "Signatures on paper" in poppler
    figures = poppler.split("In figures", 1)[1].split("Signatures by country", 1)[0].split()
    assert "7" in figures and "12" in figures and "3" in figures  # counted, paper, countries
    assert "Embassy of the PRC in the United States" in poppler
    assert "Handing over the petition" in poppler
    assert "Save North Korean Refugees Day 2025" in poppler
    assert_private(text)
    assert_private(poppler)

    assert YEAR_BAR_COLOUR == "#d9822b"
    counts = pixels(path, tmp_path)
    assert counts[TOP_COUNTRY] > 30, counts.most_common(12)
    assert counts[DAY_BARS] > 30, counts.most_common(12)
    assert counts[YEAR_BARS] > 30, counts.most_common(12)


@pytest.mark.django_db
def test_the_pdf_is_made_once_per_snapshot_and_is_the_same_every_time(world, monkeypatch):
    publish(world)
    report = AfterActionReport.objects.get()
    slug = world.campaign.slug
    first = download(world.clients["anonymous"], slug)
    name = report_pdf.cache_name(report, "en", [])
    assert default_storage.exists(name)

    def no_rendering(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("rendered again")

    monkeypatch.setattr(report_pdf, "render_pdf", no_rendering)
    assert download(world.clients["anonymous"], slug) == first
    monkeypatch.undo()

    # Rendering the same snapshot again gives the same bytes.
    default_storage.delete(name)
    second = download(world.clients["anonymous"], slug)
    assert second == first

    # New signatures change nothing until the figures are refreshed.
    for n in range(30, 33):
        sign(world, n, country="CA", city="Toronto", region="CA-ON")
    assert download(world.clients["anonymous"], slug) == first
    publish(world)
    assert download(world.clients["anonymous"], slug) != first


@pytest.mark.django_db
def test_a_draft_pdf_is_for_organisers_only(world):
    slug = world.campaign.slug
    url = reverse("reports:report_pdf", args=[slug])
    assert world.clients["anonymous"].get(url).status_code == 404
    assert world.clients["partner"].get(url).status_code == 404
    response = world.clients["organiser"].get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert not default_storage.exists(report_pdf.CACHE_DIR) or not list(
        default_storage.listdir(report_pdf.CACHE_DIR)[1]
    )

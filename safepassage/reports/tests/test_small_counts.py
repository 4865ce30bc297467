"""Small public counts are "fewer than 5" on every public surface, never the figure.

The world of the report tests: seven counted signatures, four in the United
States (three routed to the embassy in Washington, one to the consulate in
Chicago), two in South Korea, one in Germany. Every one of those figures is
below the default threshold of 5, so a visitor, the API, the report's PDF and
the maps must not tell a consulate with one signer from one with four.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import require
from safepassage.accounts.tests.world import World
from safepassage.campaigns.models import Campaign
from safepassage.lib.geo import svgmap
from safepassage.reports.stats import refresh_stats
from safepassage.reports.tests.test_campaign_page import table
from safepassage.reports.tests.test_report import fresh, make_world, publish, sign
from safepassage.reports.tests.test_report_pdf import download, pdftotext

HIDDEN = "fewer than 5"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> None:
    fresh(settings, tmp_path)


@pytest.fixture
def world(petition: Any) -> World:
    w = make_world(petition)
    refresh_stats(w.campaign)
    return w


def campaign_page(world: World) -> str:
    response = Client().get(reverse("reports:campaign", args=[world.campaign.slug]))
    assert response.status_code == 200
    return response.content.decode()


def api(path: str) -> Any:
    response = Client().get(path)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def tooltips(svg: str) -> dict[str, str]:
    """{country code: tooltip} of a map's shaded countries."""
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    return {
        path.attrib["data-code"]: path.findtext(f"{SVG}title") or ""
        for path in root.iter(f"{SVG}path")
        if "data-code" in path.attrib
    }


def shade(svg: str, code: str) -> str:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    for path in root.iter(f"{SVG}path"):
        if path.attrib.get("data-code") == code:
            return path.attrib["class"]
    raise AssertionError(code)


def legend(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    group = next(g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "wm-legend")
    return [text.text or "" for text in group.iter(f"{SVG}text")]


def mission_counts(html: str) -> dict[str, str]:
    """{mission's city: count cell} of the campaign page's table of missions."""
    body = html.split('id="by-mission"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<span class="small">([^,<]+),.*?<td class="num">(.*?)</td>', body, re.S)
    return dict(rows)


def inline_svg(html: str, title: str) -> str:
    start = html.index("<svg", html.index(title) - 400)
    return html[start : html.index("</svg>", start) + len("</svg>")]


def test_the_campaign_page_shows_small_counts_as_fewer_than_five(world):
    html = campaign_page(world)
    countries = table(html, "by-country")
    # Hidden figures rank alike: listed by name, not by their size (4, 2, 1).
    assert list(countries) == ["Germany", "South Korea", "United States"]
    assert set(countries.values()) == {HIDDEN}
    assert mission_counts(html) == {"Chicago": HIDDEN, "Washington": HIDDEN}
    # Nor their shares of the total, which would give the figures back (1/7, 2/7, 3/7, 4/7).
    for share in ("14.3 %", "28.6 %", "42.9 %", "57.1 %"):
        assert share not in html
    # The headline total is not hidden.
    assert re.search(r'id="signature-count"[^>]*>7<', html)
    assert "Signatures from 3 countries" in html
    svg = inline_svg(html, "Signatures by country")
    shown = tooltips(svg)
    assert shown["US"] == f"United States: {HIDDEN}"
    assert shown["DE"] == f"Germany: {HIDDEN}"


def test_the_api_gives_null_and_fewer_than_instead_of_small_counts(world):
    data = api(f"/api/campaigns/{world.campaign.slug}/counts")
    assert data["total"] == 7
    assert data["by_country"] == [
        {"country": "DE", "count": None, "fewer_than": 5},
        {"country": "KR", "count": None, "fewer_than": 5},
        {"country": "US", "count": None, "fewer_than": 5},
    ]
    missions = {row["mission"]: row for row in data["by_mission"]}
    assert missions["test-cg-chicago"]["count"] is None
    assert missions["test-cg-chicago"]["fewer_than"] == 5
    assert missions["test-emb-us"]["count"] is None
    detail = api(f"/api/petitions/{world.petition.slug}")
    assert detail["counts"]["by_country"] == data["by_country"]
    schema = api("/api/openapi.json")["components"]["schemas"]
    assert "fewer_than" in schema["CountryCount"]["properties"]
    assert "fewer_than" in schema["ReportMissionOut"]["properties"]


def test_the_directory_map_shades_one_signer_like_four(world):
    # The map shows the newest open campaign against the government: this one.
    Campaign.objects.exclude(pk=world.campaign.pk).update(status=Campaign.Status.CLOSED)
    response = Client().get(reverse("directory:map", args=["CN"]))
    assert response.status_code == 200
    svg = response.content.decode()
    shown = tooltips(svg)
    assert shown["US"] == f"United States: {HIDDEN}"
    assert shown["DE"] == f"Germany: {HIDDEN}"
    assert shade(svg, "US") == shade(svg, "DE") == shade(svg, "KR") != "wm-land"
    assert HIDDEN in legend(svg)
    assert not {"1", "4", "1\u20134", "2\u20134"} & set(legend(svg))


def test_the_published_report_its_api_and_its_pdf_hide_small_counts(world, tmp_path):
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    publish(world)
    slug = world.campaign.slug
    html = Client().get(reverse("reports:report", args=[slug])).content.decode()
    assert set(table(html, "by-country").values()) == {HIDDEN}
    rows = re.findall(r'<tr data-mission="([^"]+)">.*?<td class="num">(.*?)</td>', html, re.S)
    assert dict(rows) == {"test-emb-us": HIDDEN, "test-cg-chicago": HIDDEN}

    data = api(f"/api/campaigns/{slug}/report")
    assert {row["country"]: row["count"] for row in data["by_country"]} == dict.fromkeys(
        ("US", "KR", "DE")
    )
    assert {row["fewer_than"] for row in data["by_country"]} == {5}
    missions = {row["mission"]: row for row in data["by_mission"]}
    assert missions["test-cg-chicago"]["signatures"] is None
    assert missions["test-cg-chicago"]["fewer_than"] == 5
    # Houston had no signatures and nothing planned; the refused consulate's row is hidden.
    assert data["totals"]["signatures"] == 7

    path = tmp_path / "report.pdf"
    path.write_bytes(download(Client(), slug))
    text = pdftotext(path)
    # Three countries and two missions, each "fewer than 5"; the map's legend says it once more.
    assert text.count(HIDDEN) >= 6
    lines = [line.strip() for line in text.splitlines()]
    for name in ("United States", "South Korea", "Germany"):
        at = lines.index(name) if name in lines else -1
        if at >= 0:
            assert lines[at + 1] not in {"1", "2", "4"}, (name, lines[at : at + 3])


def test_counts_at_the_threshold_are_shown(world):
    sign(world, 10, mission=world.embassy)
    sign(world, 11, mission=world.embassy)
    refresh_stats(world.campaign)
    html = campaign_page(world)
    countries = table(html, "by-country")
    assert countries["United States"] == "6"
    assert countries["Germany"] == HIDDEN
    # The shown figure comes first; the hidden ones follow by name.
    assert list(countries) == ["United States", "Germany", "South Korea"]
    assert mission_counts(html) == {"Washington": "5", "Chicago": HIDDEN}
    assert "66.7 %" in html  # 6 of 9: a figure that is shown keeps its share
    data = api(f"/api/campaigns/{world.campaign.slug}/counts")
    assert data["by_country"][0] == {"country": "US", "count": 6, "fewer_than": None}
    assert tooltips(inline_svg(html, "Signatures by country"))["US"] == "United States: 6"


def test_the_threshold_is_a_setting(world, settings):
    settings.PUBLIC_COUNT_THRESHOLD = 3
    data = api(f"/api/campaigns/{world.campaign.slug}/counts")
    shown = {row["country"]: (row["count"], row["fewer_than"]) for row in data["by_country"]}
    assert shown == {"US": (4, None), "KR": (None, 3), "DE": (None, 3)}


def test_the_hidden_text_is_translated(world):
    client = Client()
    client.cookies["django_language"] = "ko"
    html = client.get(reverse("reports:campaign", args=[world.campaign.slug])).content.decode()
    countries = html.split('id="by-country"', 1)[1].split("</table>", 1)[0]
    assert HIDDEN not in countries
    assert "5명 미만" in countries


def test_a_map_without_a_threshold_still_tells_counts_apart():
    shading = {"DE": 1, "FR": 2, "GB": 3, "US": 4, "CA": 5, "JP": 6, "AU": 7, "BR": 8, "KR": 120}
    plain = svgmap.render_svg(shading=shading)
    assert shade(plain, "US") != shade(plain, "DE")
    hidden = svgmap.render_svg(shading=shading, fewer_than=5, fewer_than_text=HIDDEN)
    assert shade(hidden, "US") == shade(hidden, "DE")
    assert tooltips(hidden)["DE"] == f"Germany: {HIDDEN}"
    assert tooltips(hidden)["KR"] == "South Korea: 120"
    assert HIDDEN in legend(hidden) and "1" not in legend(hidden)
    assert legend(hidden)[-1].endswith("120")

"""The public directory pages, and the finder in a real browser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import LiveApp, require
from safepassage.directory import transfer
from safepassage.directory.models import Mission
from safepassage.directory.routing import route_petition
from safepassage.directory.tests.test_routing import SMALL_DIRECTORY, confirmed
from safepassage.reports.stats import refresh_stats

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def directory(db):
    transfer.import_rows(
        [
            {
                **row,
                "postal_address": "100 Example Street\nSuite <b>1</b>" if i == 1 else "",
                "email": "chicago@example.org" if i == 1 else "",
            }
            for i, row in enumerate(SMALL_DIRECTORY)
        ]
    )


def test_the_directory_lists_open_missions_by_country(client, directory):
    response = client.get(reverse("directory:missions", args=["CN"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Embassies and consulates of China" in html
    assert "consulate_general in Chicago" in html
    assert "100 Example Street<br>Suite &lt;b&gt;1&lt;/b&gt;" in html  # escaped
    assert "mailto:chicago@example.org" in html
    assert "Houston" not in html.split("<svg")[0] + html.split("</svg>")[1]  # closed
    # countries in alphabetical order of their names
    assert html.index("<h2>France</h2>") < html.index("<h2>South Africa</h2>")


def test_an_unknown_state_is_404(client, directory):
    assert client.get("/missions/ZZ/").status_code == 404
    assert client.get("/missions/FR/").status_code == 404  # no French missions loaded


def test_the_index_goes_to_the_open_campaigns_target(client, directory, petition):
    response = client.get(reverse("directory:index"))
    assert response.status_code == 302
    assert response["Location"] == "/missions/CN/"


def test_the_map_shows_missions_and_shades_signatures(client, directory, petition):
    confirmed(petition, 1)
    confirmed(petition, 2)
    confirmed(petition, 3, city="Busan", region="KR-26", country="KR")
    route_petition(petition)
    refresh_stats(petition.campaign)  # the worker's round: the map reads its aggregates
    response = client.get(reverse("directory:map", args=["CN"]))
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own output)
    circles = root.iter(f"{SVG}circle")
    assert len(list(circles)) == len(SMALL_DIRECTORY) - 1  # the closed one is not drawn
    shaded = {
        path.get("data-code"): path.get("class") or ""
        for path in root.iter(f"{SVG}path")
        if path.get("data-code")
    }
    assert shaded["US"] != shaded["DE"]
    assert "2" in ET.tostring(root, encoding="unicode")


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [("Chicago", "US", "consulate_general in Chicago"), ("서울", "KR", "embassy in Seoul")],
)
def test_the_finder(client, directory, city, country, expected):
    response = client.get(
        reverse("directory:find", args=["CN"]), {"city": city, "country": country}
    )
    html = response.content.decode()
    assert expected in html
    assert '<pre class="address-block">' in html


def test_the_finder_explains_a_missing_city_and_keeps_the_input(client, directory):
    response = client.get(reverse("directory:find", args=["CN"]), {"city": "", "country": "US"})
    html = response.content.decode()
    assert "Please enter your city or town." in html
    assert '<option value="US" selected>' in html


def test_the_postal_block(directory):
    chicago = Mission.objects.get(key="cg-chicago")
    assert chicago.address_block().splitlines() == [
        "consulate_general in Chicago",
        "100 Example Street",
        "Suite <b>1</b>",
        "UNITED STATES",
    ]


def test_the_about_page_credits_the_data(client, db):
    html = client.get(reverse("core:about")).content.decode()
    for credit in ("Wikidata", "GeoNames", "CC BY 4.0", "Natural Earth", "ODbL"):
        assert credit in html


# --- In a real browser ------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_person_finds_their_mission_in_a_browser(live_app: LiveApp, directory, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 1100, "height": 900})
            page.goto(f"{live_app.url}/missions/CN/")
            svg = page.locator("figure.world-map svg")
            assert svg.is_visible()
            box = svg.bounding_box()
            assert box and box["width"] > 600 and box["height"] > 250
            svg.screenshot(path=str(folder / "directory-map.png"))
            page.fill("#id_city", "Busan")
            page.select_option("#id_country", "KR")
            page.click("form.finder button[type=submit]")
            page.wait_for_url("**/missions/CN/find/**")
            result = page.locator("section.result")
            assert "consulate_general in Busan" in result.inner_text()
            assert "SOUTH KOREA" in page.locator("pre.address-block").inner_text().upper()
            page.screenshot(path=str(folder / "finder.png"), full_page=True)
        finally:
            browser.close()
    _looks_like_a_map(folder / "directory-map.png")


def _looks_like_a_map(png: Path) -> None:
    """The screenshot is a picture of a map: land, sea and shading, not a blank box."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    width, height = image.size
    colours = image.getcolors(maxcolors=width * height) or []
    distinct = {colour for count, colour in colours if count > width * height * 0.002}
    assert len(distinct) >= 4, distinct  # background, land, shading, points
    # Land covers a fair share of the picture but not all of it.
    background = max(colours)[1]
    share = sum(c for c, colour in colours if colour != background) / (width * height)
    assert 0.15 < share < 0.8, share

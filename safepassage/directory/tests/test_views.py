"""The public directory pages, and the finder in a real browser."""

from __future__ import annotations

import re
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
    assert html.index('<h3 id="country-FR-heading">France</h3>') < html.index(
        '<h3 id="country-ZA-heading">South Africa</h3>'
    )


def test_the_list_has_a_jump_index_and_landmarks(client, directory):
    html = client.get(reverse("directory:missions", args=["CN"])).content.decode()
    index = html.split('<nav class="jump-index"')[1].split("</nav>")[0]
    links = re.findall(r'<a href="#country-([A-Z]{2})">([^<]+)</a>', index)
    names = [name for _code, name in links]
    assert names == sorted(names) and {"FR", "KR", "US", "ZA"} <= {code for code, _ in links}
    for code, _name in links:
        assert f'<section class="host-country" id="country-{code}"' in html
    assert html.split('<nav class="jump-index"')[1].startswith(' aria-label="Countries"')
    assert '<form class="list-search" role="search"' in html
    assert html.count("<h1>") == 1
    assert '<h2 id="list-heading">' in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("chicago", ["consulate_general in Chicago"], ["embassy in Paris", "embassy in Seoul"]),
        ("KOREA", ["embassy in Seoul", "consulate_general in Busan"], ["embassy in Paris"]),
        # A country's name in any language we know.
        ("대한민국", ["embassy in Seoul", "consulate_general in Busan"], ["embassy in Paris"]),
        ("pariS", ["embassy in Paris"], ["embassy in Seoul"]),
        ("nowhere at all", [], ["embassy in Paris", "embassy in Seoul"]),
    ],
)
def test_the_list_searches_without_javascript(client, directory, query, shown, hidden):
    html = client.get(reverse("directory:missions", args=["CN"]), {"q": query}).content.decode()
    listing = html.split('<section class="mission-list"')[1]
    for name in shown:
        assert f"<h4>{name}</h4>" in listing
    for name in hidden:
        assert f"<h4>{name}</h4>" not in listing
    assert 'id="search-result"' in html
    assert f"{len(shown)} mission" in html.split('id="search-result"')[1][:200]
    total = Mission.objects.of("CN").open().count()
    assert f"{total} open missions in this directory." in html  # the whole directory counted


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
    # Only Chicago has a postal address here; a missing one is said, never an empty block.
    if city == "Chicago":
        assert '<pre class="address-block">' in html
    else:
        assert '<pre class="address-block">' not in html and "No postal address known" in html


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


@pytest.mark.parametrize(
    ("country", "city", "address", "postcode", "lines"),
    [
        # Written in the address already: not again ("IL 60610 / 60610" was the bug).
        (
            "US",
            "Chicago",
            "100 West Erie Street, Chicago, IL 60610",
            "60610",
            ["100 West Erie Street, Chicago, IL 60610"],
        ),
        (
            "CA",
            "Toronto",
            "240 St. George Street\nToronto ON M5R 2P4",
            "M5R2P4",
            ["240 St. George Street", "Toronto ON M5R 2P4"],
        ),
        # Missing: added once, where the host country writes it.
        ("AT", "Vienna", "Hohe Warte 1-3", "1190", ["Hohe Warte 1-3", "1190 Vienna"]),
        (
            "GB",
            "Manchester",
            "Denison House\n71 Denison Road",
            "M14 5RX",
            ["Denison House", "71 Denison Road", "Manchester M14 5RX"],
        ),
        (
            "AR",
            "Buenos Aires",
            "Crisólogo Larralde 5349, Buenos Aires",
            "1431",
            ["Crisólogo Larralde 5349, Buenos Aires", "1431"],
        ),
        # No street address: the postcode and the city.
        ("DE", "Berlin", "", "10179", ["10179 Berlin"]),
        ("FR", "Lyon", "", "", ["Lyon"]),
    ],
)
def test_a_postcode_is_written_once(country, city, address, postcode, lines):
    mission = Mission(
        name="Mission", host_country=country, city=city, postal_address=address, postcode=postcode
    )
    assert mission.address_lines() == lines
    block = mission.address_block().splitlines()
    assert block[1:-1] == lines
    if postcode:
        assert "".join(block).replace(" ", "").count(postcode.replace(" ", "")) == 1


def test_the_list_prints_each_postcode_once(client, db):
    transfer.import_rows(
        [
            {
                **SMALL_DIRECTORY[1],
                "postal_address": "100 West Erie Street, Chicago, IL 60610",
                "postcode": "60610",
            }
        ]
    )
    html = client.get(reverse("directory:missions", args=["CN"])).content.decode()
    address = html.split("<address>")[1].split("</address>")[0]
    assert address == "100 West Erie Street, Chicago, IL 60610"


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
            # Busan has no postal address here: said in words, no empty block.
            assert "No postal address known" in result.inner_text()
            assert page.locator("pre.address-block").count() == 0
            page.screenshot(path=str(folder / "finder.png"), full_page=True)
        finally:
            browser.close()
    _looks_like_a_map(folder / "directory-map.png")


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_list_filters_as_you_type_and_jumps_to_a_country(live_app: LiveApp, directory):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
            page.goto(f"{live_app.url}/missions/CN/")
            page.click('.jump-index a[href="#country-KR"]')
            assert page.url.endswith("#country-KR")
            assert page.locator("#country-KR-heading").is_visible()
            url = page.url
            page.fill("#mission-search", "chica")
            chicago = page.locator("article.mission", has_text="consulate_general in Chicago")
            assert chicago.is_visible()
            assert not page.locator("#country-FR").is_visible()
            assert not page.locator('.jump-index a[href="#country-FR"]').is_visible()
            assert "Missions shown: 1" in page.locator("#search-live").inner_text()
            assert page.url == url  # filtered on the page, no request
            page.fill("#mission-search", "")
            assert page.locator("#country-FR").is_visible()
            # Pressing Enter asks the server, which answers the same.
            page.fill("#mission-search", "Paris")
            page.press("#mission-search", "Enter")
            page.wait_for_url("**/missions/CN/?q=Paris*")
            assert "1 mission matches" in page.locator("#search-result").inner_text()
            assert errors == []
        finally:
            browser.close()


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

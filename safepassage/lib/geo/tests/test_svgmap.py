"""Behaviour of the world map: the SVG drawn from the country shapes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from safepassage.lib.geo.shapes import country_shape_codes
from safepassage.lib.geo.svgmap import MapPoint, render_svg

SVG = "{http://www.w3.org/2000/svg}"
SHADING = {"DE": 120, "FR": 80, "US": 300, "BR": 40, "IN": 15, "JP": 60, "RU": 1, "GL": 0}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it is well formed)


def country_paths(root: ET.Element) -> dict[str, ET.Element]:
    paths = root.iter(f"{SVG}path")
    return {path.get("data-code", ""): path for path in paths if path.get("data-code")}


def title_of(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def legend_texts(root: ET.Element) -> list[str]:
    legend = next(group for group in root.iter(f"{SVG}g") if "wm-legend" in classes(group))
    return [text.text or "" for text in legend.iter(f"{SVG}text")]


def test_the_map_is_a_standalone_accessible_svg():
    root = parse(render_svg(title="Signatures & embassies"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Signatures & embassies"
    assert title_of(root) == "Signatures & embassies"
    assert root.get("viewBox", "").startswith("0 0 960 ")
    style = root.find(f"{SVG}style")
    assert style is not None and ".wm-c5{fill:" in (style.text or "")


def test_every_country_with_a_shape_has_one_path_named_by_its_code():
    root = parse(render_svg())
    codes = [path.get("data-code", "") for path in root.iter(f"{SVG}path")]
    codes = [code for code in codes if code]
    assert sorted(codes) == sorted(country_shape_codes())
    paths = country_paths(root)
    assert title_of(paths["DE"]) == "Germany"
    assert title_of(paths["KR"]) == "South Korea"


def test_path_data_is_compact():
    svg = render_svg()
    for data in re.findall(r' d="([^"]*)"', svg):
        assert re.fullmatch(r"(M[-0-9. ]+l[-0-9. ]+z)+", data), data[:80]
    assert len(svg.encode()) < 600_000


def test_counts_shade_countries_by_quintile():
    root = parse(render_svg(shading=SHADING, legend_label="Signatures"))
    paths = country_paths(root)
    assert "wm-c5" in classes(paths["US"])
    assert "wm-c1" in classes(paths["RU"])
    assert not any(name.startswith("wm-c") for name in classes(paths["GL"]))
    assert not any(name.startswith("wm-c") for name in classes(paths["CN"]))
    assert title_of(paths["DE"]) == "Germany: 120"
    assert title_of(paths["CN"]) == "China: 0"


def test_the_legend_shows_the_breaks_computed_from_the_counts():
    codes = ["DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT", "PT", "SE"]
    counts = dict(zip(codes, range(1, 11), strict=True))
    root = parse(render_svg(shading=counts, legend_label="Signatures <all>"))
    ranges = ["1\u20132", "3\u20134", "5\u20136", "7\u20138", "9\u201310"]
    assert legend_texts(root) == ["Signatures <all>", "0", *ranges]
    paths = country_paths(root)
    shades = [next(name for name in classes(paths[code]) if name != "wm-land") for code in codes]
    assert shades == [f"wm-c{(count + 1) // 2}" for count in range(1, 11)]


def test_one_count_everywhere_makes_one_class():
    root = parse(render_svg(shading={"DE": 5, "FR": 5, "zz": 9}))
    assert legend_texts(root) == ["0", "5"]
    assert "wm-c5" in classes(country_paths(root)["DE"])


def test_without_shading_there_is_no_legend():
    svg = render_svg(legend_label="Signatures")
    assert '<g class="wm-legend"' not in svg
    assert "Signatures" not in svg


def test_points_are_circles_with_escaped_labels_links_and_kinds():
    label = 'Berlin <script>alert("x")</script> & Co'
    points = [
        MapPoint(52.52, 13.405, label, href="/embassies/de?x=1&y=2", kind="embassy"),
        MapPoint(38.8977, -77.0365, "Washington\x00", kind='consulate" onload="x'),
        MapPoint(35.6762, 139.6503, "Tokyo", href="javascript:alert(1)"),
    ]
    svg = render_svg(points=points)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; Co" in svg
    root = parse(svg)
    circles = list(root.iter(f"{SVG}circle"))
    assert [title_of(circle) for circle in circles] == [label, "Washington", "Tokyo"]
    assert [sorted(classes(circle)) for circle in circles] == [
        ["embassy", "wm-point"],
        ["consulateonloadx", "wm-point"],
        ["wm-point"],
    ]
    links = list(root.iter(f"{SVG}a"))
    assert [link.get("href") for link in links] == ["/embassies/de?x=1&y=2"]
    assert [link.get("aria-label") for link in links] == [label]
    # Links inside a picture cannot be reached (axe: nested-interactive): a group holds them.
    assert root.get("role") == "group"
    assert parse(render_svg(points=points[1:])).get("role") == "img"


def test_the_map_has_north_up_and_east_right():
    cities = {
        "oslo": (59.91, 10.75),
        "cairo": (30.04, 31.24),
        "lima": (-12.05, -77.04),
        "nairobi": (-1.29, 36.82),
        "origin": (0.0, 0.0),
    }
    points = [MapPoint(latitude, longitude, name) for name, (latitude, longitude) in cities.items()]
    root = parse(render_svg(points=points))
    place = {
        title_of(circle): (float(circle.get("cx", "")), float(circle.get("cy", "")))
        for circle in root.iter(f"{SVG}circle")
    }
    assert place["oslo"][1] < place["cairo"][1] < place["nairobi"][1]
    assert place["lima"][0] < place["origin"][0] < place["nairobi"][0]
    assert place["origin"][0] == 480


def test_the_width_scales_the_drawing():
    root = parse(render_svg(width=480))
    assert root.get("width") == "480"
    assert root.get("viewBox", "").startswith("0 0 480 ")
    with pytest.raises(ValueError, match="width"):
        render_svg(width=0)


def test_the_same_input_gives_the_same_bytes_in_every_process():
    arguments = "shading={'DE': 3, 'FR': 1, 'US': 9}, points=[MapPoint(1.0, 2.0, 'a', kind='k')]"
    script = (
        "import sys\n"
        "from safepassage.lib.geo.svgmap import MapPoint, render_svg\n"
        f"sys.stdout.write(render_svg({arguments}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    points = [MapPoint(1.0, 2.0, "a", kind="k")]
    here = render_svg(shading={"DE": 3, "FR": 1, "US": 9}, points=points)
    assert other == here
    assert render_svg(shading={"US": 9, "DE": 3, "FR": 1}, points=points) == here


def test_a_point_off_the_earth_is_refused():
    with pytest.raises(ValueError, match="not a position"):
        render_svg(points=[MapPoint(float("nan"), 0.0, "nowhere")])

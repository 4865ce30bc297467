"""The world map as server-rendered SVG: a choropleth of counts per country, and marked points.

The countries are drawn from shapes.py on the Equal Earth projection, simplified for the
width asked for. The output is deterministic and carries its own colours in a <style>
element, so the same markup renders in a browser and in a PDF.
"""

from __future__ import annotations

import html
import math
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import urlsplit

import pycountry

from safepassage.lib.geo.shapes import (
    country_centre,
    country_shape_codes,
    ring_coordinates,
    world_topology,
)

_NORTH, _SOUTH = 84.0, -60.0  # what the map shows: Greenland's north cape to South Georgia
_MIN_STEP = 5  # tenths of a pixel: closer positions along an outline are dropped
_PALETTE = ("#bdd7ee", "#86b6df", "#5091c8", "#2a6aa8", "#0f3d78")
_STYLE = (
    ".wm-sphere{fill:#f3f6f9}"
    ".wm-land{fill:#dedede;stroke:#ffffff;stroke-width:0.4;stroke-linejoin:round}"
    + "".join(f".wm-c{i + 1}{{fill:{colour}}}" for i, colour in enumerate(_PALETTE))
    + ".wm-point{fill:#c0392b;stroke:#ffffff;stroke-width:1}"
    ".wm-legend text{font-family:sans-serif;font-size:11px;fill:#333333}"
)
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_IN_CLASS = re.compile(r"[^A-Za-z0-9_-]")


_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796


def _equal_earth(longitude: float, latitude: float) -> tuple[float, float]:
    """The Equal Earth projection (Šavrič, Patterson and Jenny, 2018) on a unit sphere."""
    theta = math.asin(math.sqrt(3) / 2 * math.sin(math.radians(latitude)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(longitude) * math.cos(theta) * 2 / math.sqrt(3)
    x /= _A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int  # in tenths of a pixel, like every coordinate of the drawing
    scale: float
    left: float
    top: float

    def tenths(self, longitude: float, latitude: float) -> tuple[int, int]:
        x, y = _equal_earth(longitude, latitude)
        return round((x - self.left) * self.scale), round((self.top - y) * self.scale)


@lru_cache(maxsize=8)
def _frame(width: int) -> _Frame:
    east, _ = _equal_earth(180, 0)
    _, top = _equal_earth(0, _NORTH)
    _, bottom = _equal_earth(0, _SOUTH)
    scale = width * 10 / (2 * east)
    return _Frame(width, round((top - bottom) * scale), scale, -east, top)


def _number(tenths: int) -> str:
    whole, tenth = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{whole}.{tenth}" if tenth else f"{sign}{whole}"


def _ring_path(points: Sequence[tuple[int, int]]) -> str:
    """SVG path data for a closed ring: absolute start, then relative steps."""
    out = ["M", _number(points[0][0]), " " if points[0][1] >= 0 else "", _number(points[0][1])]
    out.append("l")
    for i in range(1, len(points)):
        dx, dy = points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1]
        out += [" " if dx >= 0 and i > 1 else "", _number(dx)]
        out += [" " if dy >= 0 else "", _number(dy)]
    out.append("z")
    return "".join(out)


def _clip(xs: list[float], ys: list[float], east: bool) -> tuple[list[float], list[float]]:
    """The part of a closed ring east or west of the 180th meridian (Sutherland-Hodgman)."""
    out_x: list[float] = []
    out_y: list[float] = []
    for i in range(len(xs) - 1):
        (x1, y1), (x2, y2) = (xs[i], ys[i]), (xs[i + 1], ys[i + 1])
        keep1, keep2 = (x1 >= 180, x2 >= 180) if east else (x1 <= 180, x2 <= 180)
        if keep1:
            out_x.append(x1 - 360 if east else x1)
            out_y.append(y1)
        if keep1 != keep2:
            out_x.append(-180.0 if east else 180.0)
            out_y.append(y1 + (180 - x1) * (y2 - y1) / (x2 - x1))
    return out_x, out_y


def _outline_paths(frame: _Frame, xs: list[float], ys: list[float]) -> str:
    pieces = [(xs, ys)]
    if max(xs) > 180:
        pieces = [_clip(xs, ys, east=False), _clip(xs, ys, east=True)]
    paths = []
    for piece_xs, piece_ys in pieces:
        points: list[tuple[int, int]] = []
        for x, y in zip(piece_xs, piece_ys, strict=True):
            point = frame.tenths(x, y)
            if not points or point != points[-1]:
                points.append(point)
        while len(points) > 1 and points[-1] == points[0]:
            points.pop()
        if len(points) >= 3:
            paths.append(_ring_path(points))
    return "".join(paths)


def _simplified_arc(
    frame: _Frame, xs: Sequence[float], ys: Sequence[float]
) -> tuple[list[float], list[float]]:
    """An arc without the positions that lie within _MIN_STEP of the last one kept.

    Arcs are shared by neighbouring countries, so simplifying arcs rather than rings keeps
    common borders identical: no slivers or gaps between countries.
    """
    kept_x, kept_y = [xs[0]], [ys[0]]
    last_x, last_y = frame.tenths(xs[0], ys[0])
    for i in range(1, len(xs) - 1):
        x, y = frame.tenths(xs[i], ys[i])
        if abs(x - last_x) >= _MIN_STEP or abs(y - last_y) >= _MIN_STEP:
            kept_x.append(xs[i])
            kept_y.append(ys[i])
            last_x, last_y = x, y
    if len(xs) > 1:
        kept_x.append(xs[-1])
        kept_y.append(ys[-1])
    return kept_x, kept_y


@lru_cache(maxsize=8)
def _country_paths(width: int) -> tuple[tuple[str, str], ...]:
    """(code, path data) per feature for a map of the given width; code "" if unknown."""
    frame = _frame(width)
    topology = world_topology()
    arcs = [_simplified_arc(frame, xs, ys) for xs, ys in topology.arcs]
    paths = []
    dots = []
    for feature in topology.features:
        data = "".join(
            _outline_paths(frame, *ring_coordinates(arcs, ring))
            for polygon in feature.polygons
            for ring in polygon
        )
        if data:
            paths.append((feature.code, data))
        elif (centre := country_centre(feature.code)) is not None:
            # Too small to outline at this width (Malta, Nauru): a dot of about one pixel, drawn
            # last so that an enclave (San Marino, Vatican) shows above the country around it.
            x, y = frame.tenths(*reversed(centre))
            dots.append(
                (feature.code, _ring_path([(x, y - 6), (x + 6, y), (x, y + 6), (x - 6, y)]))
            )
    return (*paths, *dots)


@lru_cache(maxsize=8)
def _sphere_path(width: int) -> str:
    frame = _frame(width)
    steps = [_SOUTH + (_NORTH - _SOUTH) * k / 36 for k in range(37)]
    edge = [frame.tenths(-180, latitude) for latitude in steps]
    return _ring_path(edge + [frame.tenths(180, latitude) for latitude in reversed(steps)])


def _text(value: str) -> str:
    """Text escaped for XML content and attribute values, without characters XML forbids."""
    return html.escape(_NOT_IN_XML.sub("", value), quote=True)


def _safe_href(href: str) -> str:
    href = href.strip()
    if any(ord(char) < 0x20 for char in href):
        return ""
    return href if urlsplit(href).scheme.lower() in ("", "http", "https", "mailto") else ""


@cache
def _english_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def _breaks(counts: Sequence[int]) -> tuple[int, ...]:
    """Upper bounds of up to five classes at the quintiles of the sorted positive counts."""
    classes = len(_PALETTE)
    return tuple(
        sorted({counts[math.ceil(len(counts) * k / classes) - 1] for k in range(1, classes + 1)})
    )


def _shade(index: int, classes: int) -> int:
    """The palette position of a class, spreading few classes over the whole palette."""
    last = len(_PALETTE) - 1
    return last if classes == 1 else round(index * last / (classes - 1))


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str
    href: str = ""
    kind: str = ""


def _legend(
    frame: _Frame,
    counts: Sequence[int],
    breaks: Sequence[int],
    label: str,
    fewer_than: int = 0,
    fewer_than_text: str = "",
) -> str:
    rows = [("wm-land", "0")]
    for i, upper in enumerate(breaks):
        lower = counts[0] if i == 0 else breaks[i - 1] + 1
        if upper < fewer_than:
            text = fewer_than_text  # the class of the hidden small counts, and only them
        elif lower < fewer_than:
            text = f"1\u2013{upper}"  # small counts share the class with larger ones
        else:
            text = f"{lower}" if lower == upper else f"{lower}\u2013{upper}"
        rows.append((f"wm-c{_shade(i, len(breaks)) + 1}", text))
    # Drawn for a 960 pixel wide map, scaled to the real one, in the empty south-west corner.
    scale = frame.width / 960
    top = 18 if label else 0
    height = top + 16 * len(rows)
    origin = (
        f"{_number(round(80 * scale))} {_number(frame.height - round((height + 8) * 10 * scale))}"
    )
    out = [f'<g class="wm-legend" transform="translate({origin}) scale({scale:.4f})">']
    if label:
        out.append(f'<text x="0" y="11">{_text(label)}</text>')
    for i, (css_class, text) in enumerate(rows):
        y = top + 16 * i
        out.append(f'<rect class="{css_class}" x="0" y="{y}" width="14" height="11"/>')
        out.append(f'<text x="20" y="{y + 10}">{_text(text)}</text>')
    out.append("</g>")
    return "".join(out)


def _point(frame: _Frame, point: MapPoint) -> str:
    if not (math.isfinite(point.latitude) and math.isfinite(point.longitude)):
        raise ValueError(f"not a position on Earth: {point.latitude}, {point.longitude}")
    x, y = frame.tenths(point.longitude, point.latitude)
    kind = _NOT_IN_CLASS.sub("", point.kind)
    radius = _number(max(15, round(30 * frame.width / 960)))
    label = _text(point.label)
    circle = (
        f'<circle class="wm-point{" " + kind if kind else ""}" cx="{_number(x)}" cy="{_number(y)}"'
        f' r="{radius}"><title>{label}</title></circle>'
    )
    href = _safe_href(point.href)
    # A link is named by its own label: screen readers do not all read a child's <title>.
    return f'<a href="{_text(href)}" aria-label="{label}">{circle}</a>' if href else circle


def render_svg(
    *,
    shading: Mapping[str, int] | None = None,
    points: Sequence[MapPoint] = (),
    title: str = "",
    width: int = 960,
    legend_label: str = "",
    fewer_than: int = 0,
    fewer_than_text: str = "",
) -> str:
    """A standalone SVG world map: a choropleth of counts per country, and marked points.

    shading maps alpha-2 codes to counts; countries with a positive count get one of five
    shades by quintile, the others a light grey. The colours live in a <style> element inside
    the SVG, so the same markup renders in a browser and in a PDF.

    With ``fewer_than`` (the public threshold, lib/smallcounts.py), every count from 1 to
    ``fewer_than - 1`` is drawn as if it were ``fewer_than - 1``: the same shade, and
    ``fewer_than_text`` ("fewer than 5") in its tooltip and in the legend, so 1 and 4 look alike.
    """
    if width < 1:
        raise ValueError("width must be a positive number of pixels")
    frame = _frame(width)
    shapes = country_shape_codes()
    counts = {code.strip().upper(): max(0, count) for code, count in (shading or {}).items()}
    hidden = {code for code, count in counts.items() if 0 < count < fewer_than}
    counts.update({code: fewer_than - 1 for code in hidden})
    positive = sorted(count for code, count in counts.items() if count > 0 and code in shapes)
    breaks = _breaks(positive) if positive else ()
    size = f"{_number(frame.width * 10)} {_number(frame.height)}"
    label = _text(title or "World map")
    # A picture (role="img") has no parts a keyboard can reach: a map whose points are links
    # is a group of them instead (axe's nested-interactive), named by the same label.
    role = "group" if any(_safe_href(point.href) for point in points) else "img"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wm-map" viewBox="0 0 {size}"'
        f' width="{frame.width}" height="{_number(frame.height)}" role="{role}"'
        f' aria-label="{label}"><title>{label}</title><style>{_STYLE}</style>',
        f'<path class="wm-sphere" d="{_sphere_path(width)}"/><g class="wm-countries">',
    ]
    for code, data in _country_paths(width):
        if not code:
            out.append(f'<path class="wm-land" d="{data}"/>')
            continue
        name, count = _english_name(code), counts.get(code, 0)
        shade = f" wm-c{_shade(bisect_left(breaks, count), len(breaks)) + 1}" if count else ""
        shown = fewer_than_text if code in hidden else str(count)
        tooltip = f"{name}: {shown}" if shading is not None else name
        out.append(
            f'<path class="wm-land{shade}" data-code="{code}" d="{data}">'
            f"<title>{_text(tooltip)}</title></path>"
        )
    out.append("</g>")
    if points:
        out.append('<g class="wm-points">')
        out.extend(_point(frame, point) for point in points)
        out.append("</g>")
    if shading is not None:
        out.append(_legend(frame, positive, breaks, legend_label, fewer_than, fewer_than_text))
    out.append("</svg>")
    return "".join(out)

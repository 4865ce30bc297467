"""Country shapes of the world: point-in-country checks and server-rendered SVG maps, offline.

The shapes are Natural Earth's 1:50m admin-0 countries as published in the npm package
world-atlas (see data/world-atlas/SOURCE.md). Its TopoJSON is decoded here in plain Python,
once per process. Countries are keyed by ISO 3166-1 alpha-2 code; the few features that
pycountry does not know (Kosovo, Northern Cyprus, Somaliland, ...) are drawn on the map but have
no code, and Antarctica is left out altogether.

Natural Earth draws overseas departments as part of their country: Réunion, Guadeloupe,
Martinique, French Guiana and Mayotte are inside FR and have no shape of their own.
"""

from __future__ import annotations

import html
import json
import math
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlsplit

import pycountry

DATA_FILE = Path(__file__).parent / "data" / "world-atlas" / "countries-50m.json"

_KM_PER_DEGREE = 6371.0088 * math.pi / 180
_LEFT_OUT = frozenset({"AQ"})

# Signed arc indexes (a negative index ~i means arc i reversed) of one ring.
_ArcRing = tuple[int, ...]


@dataclass(frozen=True)
class _Feature:
    code: str  # "" for a territory pycountry does not know
    polygons: tuple[tuple[_ArcRing, ...], ...]  # each polygon: its outer ring, then its holes


@dataclass(frozen=True)
class _Topology:
    arcs: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]  # (longitudes, latitudes)
    features: tuple[_Feature, ...]


def _alpha_2(numeric: str | None, name: str) -> str:
    country = pycountry.countries.get(numeric=numeric) if numeric else None
    if country is None:
        try:
            country = pycountry.countries.lookup(name)
        except LookupError:
            return ""
    return str(country.alpha_2)


@cache
def _topology() -> _Topology:
    with DATA_FILE.open(encoding="utf-8") as file:
        data = json.load(file)
    scale_x, scale_y = data["transform"]["scale"]
    shift_x, shift_y = data["transform"]["translate"]
    arcs = []
    for deltas in data["arcs"]:
        # Quantised positions are stored as differences from the previous position.
        xs = accumulate(delta[0] for delta in deltas)
        ys = accumulate(delta[1] for delta in deltas)
        arcs.append(
            (tuple(x * scale_x + shift_x for x in xs), tuple(y * scale_y + shift_y for y in ys))
        )
    by_code: dict[str, list[tuple[_ArcRing, ...]]] = {}
    unknown = []
    for geometry in data["objects"]["countries"]["geometries"]:
        raw = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        polygons = [tuple(tuple(ring) for ring in polygon) for polygon in raw]
        code = _alpha_2(geometry.get("id"), geometry["properties"]["name"])
        if not code:
            unknown.append(_Feature("", tuple(polygons)))
        elif code not in _LEFT_OUT:
            # Some countries come in several features (Australia and its Ashmore Reef).
            by_code.setdefault(code, []).extend(polygons)
    features = unknown + [_Feature(code, tuple(by_code[code])) for code in sorted(by_code)]
    return _Topology(tuple(arcs), tuple(features))


def _ring_coordinates(
    arcs: Sequence[tuple[Sequence[float], Sequence[float]]], ring: _ArcRing
) -> tuple[list[float], list[float]]:
    """The closed ring of (longitudes, latitudes) that a ring's arcs join into.

    Longitudes are made continuous across the antimeridian (Russia's Chukotka and Fiji
    straddle it), so they may run past 180 degrees east.
    """
    xs: list[float] = []
    ys: list[float] = []
    for index in ring:
        arc_xs, arc_ys = arcs[index] if index >= 0 else arcs[~index]
        if index < 0:
            arc_xs, arc_ys = arc_xs[::-1], arc_ys[::-1]
        skip = 1 if xs else 0  # consecutive arcs share their joining position
        xs.extend(arc_xs[skip:])
        ys.extend(arc_ys[skip:])
    shift = 0.0
    for i in range(1, len(xs)):
        step = xs[i] + shift - xs[i - 1]
        if step > 180:
            shift -= 360
        elif step < -180:
            shift += 360
        xs[i] += shift
    if min(xs) < -180:
        xs = [x + 360 for x in xs]
    return xs, ys


# --- Containment ---------------------------------------------------------------------------


class _Ring:
    """A closed ring with its edges sorted into horizontal bands for fast scanlines."""

    __slots__ = ("_band_height", "_bands", "east", "north", "south", "west", "xs", "ys")

    def __init__(self, xs: list[float], ys: list[float]) -> None:
        self.xs, self.ys = xs, ys
        self.west, self.east, self.south, self.north = min(xs), max(xs), min(ys), max(ys)
        count = max(1, min(len(xs) // 8, 512))
        self._band_height = (self.north - self.south) / count or 1.0
        bands: list[list[int]] = [[] for _ in range(count)]
        for i in range(len(ys) - 1):
            low, high = sorted((ys[i], ys[i + 1]))
            for band in range(self._band(low, count), self._band(high, count) + 1):
                bands[band].append(i)
        self._bands: tuple[tuple[int, ...], ...] = tuple(tuple(band) for band in bands)

    def _band(self, y: float, count: int) -> int:
        return min(count - 1, max(0, int((y - self.south) / self._band_height)))

    def crossings(self, y: float) -> list[float]:
        """Longitudes where the ring's edges cross the parallel at latitude y."""
        xs, ys = self.xs, self.ys
        found = []
        for i in self._bands[self._band(y, len(self._bands))]:
            y1, y2 = ys[i], ys[i + 1]
            if (y1 > y) != (y2 > y):
                found.append(xs[i] + (y - y1) * (xs[i + 1] - xs[i]) / (y2 - y1))
        return found

    def contains(self, x: float, y: float) -> bool:
        if not (self.west <= x <= self.east and self.south <= y <= self.north):
            return False
        return sum(1 for crossing in self.crossings(y) if crossing > x) % 2 == 1

    def near(self, x: float, y: float, tolerance_km: float) -> bool:
        """Whether some edge passes within tolerance_km of the point (x, y)."""
        reach_y = tolerance_km / _KM_PER_DEGREE
        km_x = _KM_PER_DEGREE * math.cos(math.radians(y))
        reach_x = 360.0 if km_x * 360 <= tolerance_km else tolerance_km / km_x
        if (
            x + reach_x < self.west
            or x - reach_x > self.east
            or y + reach_y < self.south
            or y - reach_y > self.north
        ):
            return False
        xs, ys, count = self.xs, self.ys, len(self._bands)
        limit = tolerance_km * tolerance_km
        for band in range(self._band(y - reach_y, count), self._band(y + reach_y, count) + 1):
            for i in self._bands[band]:
                # Edge ends in kilometres from the point, on a plane tangent to it.
                ax, ay = (xs[i] - x) * km_x, (ys[i] - y) * _KM_PER_DEGREE
                bx, by = (xs[i + 1] - x) * km_x, (ys[i + 1] - y) * _KM_PER_DEGREE
                if min(ax, bx) > tolerance_km or max(ax, bx) < -tolerance_km:
                    continue
                if min(ay, by) > tolerance_km or max(ay, by) < -tolerance_km:
                    continue
                dx, dy = bx - ax, by - ay
                length = dx * dx + dy * dy
                t = 0.0 if length == 0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / length))
                px, py = ax + t * dx, ay + t * dy
                if px * px + py * py <= limit:
                    return True
        return False


class _Polygon:
    __slots__ = ("holes", "outer")

    def __init__(self, outer: _Ring, holes: Sequence[_Ring]) -> None:
        self.outer, self.holes = outer, tuple(holes)

    def contains(self, x: float, y: float) -> bool:
        return self.outer.contains(x, y) and not any(hole.contains(x, y) for hole in self.holes)

    def near(self, x: float, y: float, tolerance_km: float) -> bool:
        return any(ring.near(x, y, tolerance_km) for ring in (self.outer, *self.holes))


@cache
def _polygons(code: str) -> tuple[_Polygon, ...]:
    topology = _topology()
    found = []
    for feature in topology.features:
        if feature.code == code:
            for polygon in feature.polygons:
                rings = [_Ring(*_ring_coordinates(topology.arcs, ring)) for ring in polygon]
                found.append(_Polygon(rings[0], rings[1:]))
    return tuple(found)


@cache
def country_shape_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries that have a shape."""
    return frozenset(feature.code for feature in _topology().features if feature.code)


def country_contains(
    code: str, latitude: float, longitude: float, tolerance_km: float = 10.0
) -> bool | None:
    """Whether a point lies in a country, or within tolerance_km of its outline.

    The tolerance forgives coastal addresses and small islands that the 1:50m outlines draw
    coarsely. None means the country has no shape, so the point cannot be checked.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90:
        raise ValueError(f"not a position on Earth: {latitude}, {longitude}")
    code = code.strip().upper()
    if code not in country_shape_codes():
        return None
    polygons = _polygons(code)
    longitude = (longitude + 180) % 360 - 180
    # Shapes straddling the antimeridian run past 180 degrees east; so may their tolerance.
    candidates = (longitude, longitude + 360, longitude - 360)
    if any(polygon.contains(x, latitude) for polygon in polygons for x in candidates):
        return True
    return tolerance_km > 0 and any(
        polygon.near(x, latitude, tolerance_km) for polygon in polygons for x in candidates
    )


def _centroid(ring: _Ring) -> tuple[float, float, float]:
    """(area, longitude, latitude) of a ring's centroid, on an equal-area sinusoidal plane."""
    middle = (ring.west + ring.east) / 2
    xs = [(x - middle) * math.cos(math.radians(y)) for x, y in zip(ring.xs, ring.ys, strict=True)]
    ys = ring.ys
    area = sum_x = sum_y = 0.0
    for i in range(len(xs) - 1):
        cross = xs[i] * ys[i + 1] - xs[i + 1] * ys[i]
        area += cross
        sum_x += (xs[i] + xs[i + 1]) * cross
        sum_y += (ys[i] + ys[i + 1]) * cross
    if area == 0:
        return 0.0, ring.xs[0], ring.ys[0]
    latitude = sum_y / (3 * area)
    longitude = middle + sum_x / (3 * area) / max(1e-9, math.cos(math.radians(latitude)))
    return abs(area) / 2, longitude, latitude


def _widest_inside(polygon: _Polygon, latitude: float) -> tuple[float, float]:
    """The middle of the widest stretch of the polygon along a few parallels."""
    south, north = polygon.outer.south, polygon.outer.north
    best = (-1.0, polygon.outer.xs[0], polygon.outer.ys[0])
    for y in (latitude, *(south + (north - south) * k / 8 for k in range(1, 8))):
        crossings = sorted(x for ring in (polygon.outer, *polygon.holes) for x in ring.crossings(y))
        for west, east in zip(crossings[::2], crossings[1::2], strict=True):
            width = (east - west) * math.cos(math.radians(y))
            if width > best[0]:
                best = (width, (west + east) / 2, y)
    return best[1], best[2]


@cache
def _centre(code: str) -> tuple[float, float]:
    polygons = _polygons(code)
    measured = [(_centroid(polygon.outer), polygon) for polygon in polygons]
    (_, longitude, latitude), largest = max(measured, key=lambda item: item[0][0])
    if not largest.contains(longitude, latitude):
        longitude, latitude = _widest_inside(largest, latitude)
    return latitude, (longitude + 180) % 360 - 180


def country_centre(code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a point inside the country's largest polygon, near its middle."""
    code = code.strip().upper()
    return _centre(code) if code in country_shape_codes() else None


# --- Rendering -----------------------------------------------------------------------------

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
    topology = _topology()
    arcs = [_simplified_arc(frame, xs, ys) for xs, ys in topology.arcs]
    paths = []
    dots = []
    for feature in topology.features:
        data = "".join(
            _outline_paths(frame, *_ring_coordinates(arcs, ring))
            for polygon in feature.polygons
            for ring in polygon
        )
        if data:
            paths.append((feature.code, data))
        elif feature.code:
            # Too small to outline at this width (Malta, Nauru): a dot of about one pixel, drawn
            # last so that an enclave (San Marino, Vatican) shows above the country around it.
            x, y = frame.tenths(*reversed(_centre(feature.code)))
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
    circle = (
        f'<circle class="wm-point{" " + kind if kind else ""}" cx="{_number(x)}" cy="{_number(y)}"'
        f' r="{radius}"><title>{_text(point.label)}</title></circle>'
    )
    href = _safe_href(point.href)
    return f'<a href="{_text(href)}">{circle}</a>' if href else circle


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
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wm-map" viewBox="0 0 {size}"'
        f' width="{frame.width}" height="{_number(frame.height)}" role="img"'
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

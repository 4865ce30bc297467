"""Country shapes of the world: which country a point is in, and a point inside each, offline.

The shapes are Natural Earth's 1:50m admin-0 countries as published in the npm package
world-atlas (see data/world-atlas/SOURCE.md). Its TopoJSON is decoded here in plain Python,
once per process; svgmap.py draws the world map from the same shapes. Countries are keyed by
ISO 3166-1 alpha-2 code; the few features that pycountry does not know (Kosovo, Northern
Cyprus, Somaliland, ...) are drawn on the map but have no code, and Antarctica is left out
altogether.

Natural Earth draws overseas departments as part of their country: Réunion, Guadeloupe,
Martinique, French Guiana and Mayotte are inside FR and have no shape of their own.

Distances to an outline are measured on a plane tangent to the point, which is exact enough
for the few kilometres of tolerance; distance.py is for distances between two places.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path

import pycountry

DATA_FILE = Path(__file__).parent / "data" / "world-atlas" / "countries-50m.json"

_KM_PER_DEGREE = 6371.0088 * math.pi / 180
_LEFT_OUT = frozenset({"AQ"})

# Signed arc indexes (a negative index ~i means arc i reversed) of one ring.
ArcRing = tuple[int, ...]


@dataclass(frozen=True)
class Feature:
    code: str  # "" for a territory pycountry does not know
    polygons: tuple[tuple[ArcRing, ...], ...]  # each polygon: its outer ring, then its holes


@dataclass(frozen=True)
class Topology:
    arcs: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]  # (longitudes, latitudes)
    features: tuple[Feature, ...]


def _alpha_2(numeric: str | None, name: str) -> str:
    country = pycountry.countries.get(numeric=numeric) if numeric else None
    if country is None:
        try:
            country = pycountry.countries.lookup(name)
        except LookupError:
            return ""
    return str(country.alpha_2)


@cache
def world_topology() -> Topology:
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
    by_code: dict[str, list[tuple[ArcRing, ...]]] = {}
    unknown = []
    for geometry in data["objects"]["countries"]["geometries"]:
        raw = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        polygons = [tuple(tuple(ring) for ring in polygon) for polygon in raw]
        code = _alpha_2(geometry.get("id"), geometry["properties"]["name"])
        if not code:
            unknown.append(Feature("", tuple(polygons)))
        elif code not in _LEFT_OUT:
            # Some countries come in several features (Australia and its Ashmore Reef).
            by_code.setdefault(code, []).extend(polygons)
    features = unknown + [Feature(code, tuple(by_code[code])) for code in sorted(by_code)]
    return Topology(tuple(arcs), tuple(features))


def ring_coordinates(
    arcs: Sequence[tuple[Sequence[float], Sequence[float]]], ring: ArcRing
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
    topology = world_topology()
    found = []
    for feature in topology.features:
        if feature.code == code:
            for polygon in feature.polygons:
                rings = [_Ring(*ring_coordinates(topology.arcs, ring)) for ring in polygon]
                found.append(_Polygon(rings[0], rings[1:]))
    return tuple(found)


@cache
def country_shape_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries that have a shape."""
    return frozenset(feature.code for feature in world_topology().features if feature.code)


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

"""A small map of the area around a place, as SVG, for picking a point by clicking.

Drawn from the bundled country shapes (Natural Earth 1:50m, shapes.py) on a
plain equirectangular projection scaled by the cosine of the latitude: the
SVG's user units are degrees, x = longitude * cos(centre latitude) and
y = -latitude, so a page turns a click into coordinates with simple
arithmetic (``data-kx`` carries the factor). Colours are attributes, not a
<style> element, which the pages' Content-Security-Policy would block. No tiles, nothing from the
network. The shapes show coastlines and borders only: at a city's scale
they locate a point to a few kilometres at best, so the exact position of
a building should come from a source and be typed.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from safepassage.lib.geo.gazetteer import locate
from safepassage.lib.geo.shapes import country_centre, ring_coordinates, world_topology

SPAN = 1.5  # degrees of latitude shown either side of the centre


@dataclass(frozen=True)
class AreaMap:
    svg: str
    centre: tuple[float, float]  # latitude, longitude
    kx: float


def _path(xs: list[float], ys: list[float], kx: float) -> str:
    points = " ".join(f"{x * kx:.4f},{-y:.4f}" for x, y in zip(xs, ys, strict=True))
    return f"M{points}Z"


def area_map(
    country: str,
    city: str = "",
    point: tuple[float, float] | None = None,
    label: str = "",
) -> AreaMap | None:
    """The area around ``point``, else the city (gazetteer), else the country's centre."""
    centre = point
    if centre is None and city:
        place = locate(country, city)
        if place.latitude is not None and place.longitude is not None:
            centre = (place.latitude, place.longitude)
    if centre is None:
        centre = country_centre(country)
    if centre is None:
        return None
    latitude, longitude = centre
    kx = math.cos(math.radians(max(-80.0, min(80.0, latitude))))
    south, north = latitude - SPAN, latitude + SPAN
    west, east = longitude - SPAN / kx, longitude + SPAN / kx
    topology = world_topology()
    paths = []
    for feature in topology.features:
        for polygon in feature.polygons:
            for ring in polygon:
                xs, ys = ring_coordinates(topology.arcs, ring)
                if max(xs) < west or min(xs) > east or max(ys) < south or min(ys) > north:
                    continue
                fill = "#f4efe1" if feature.code == country else "#e6e6e6"
                paths.append(
                    f'<path fill="{fill}" stroke="#888" stroke-width="0.01" '
                    f'd="{_path(xs, ys, kx)}"/>'
                )
    hidden = "" if point else ' visibility="hidden"'
    x, y, w, h = west * kx, -north, (east - west) * kx, north - south
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="area-map" role="img" '
        f'viewBox="{x:.4f} {y:.4f} {w:.4f} {h:.4f}" data-kx="{kx:.6f}" '
        f'aria-label="{html.escape(label)}">'
        f'<rect fill="#dbe9f6" x="{x:.4f}" y="{y:.4f}" width="{w:.4f}" height="{h:.4f}"/>'
        + "".join(paths)
        + '<circle class="am-dot" fill="#c0392b" stroke="#fff" stroke-width="0.01" '
        f'r="{h / 60:.4f}" cx="{longitude * kx:.4f}" cy="{-latitude:.4f}"{hidden}/>'
        "</svg>"
    )
    return AreaMap(svg=svg, centre=centre, kx=kx)

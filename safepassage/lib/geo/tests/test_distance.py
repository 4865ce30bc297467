"""Behaviour of the one distance function: great-circle kilometres between two positions."""

from __future__ import annotations

import math

import pytest

from safepassage.lib.geo.distance import EARTH_RADIUS_KM, distance_km


def test_paris_to_london_is_about_344_km() -> None:
    assert distance_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.56, abs=0.01)


def test_a_place_is_no_distance_from_itself() -> None:
    assert distance_km(37.57, 126.98, 37.57, 126.98) == 0.0


def test_it_is_symmetric() -> None:
    assert distance_km(-23.55, -46.63, 35.69, 139.69) == distance_km(35.69, 139.69, -23.55, -46.63)


def test_it_takes_the_short_way_across_the_antimeridian() -> None:
    assert distance_km(10.0, 179.5, 10.0, -179.5) == pytest.approx(109.51, abs=0.01)


@pytest.mark.parametrize(("a", "b"), [((0.0, 0.0), (0.0, 180.0)), ((45.0, 10.0), (-45.0, -170.0))])
def test_antipodes_are_half_the_circumference_apart(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    assert distance_km(*a, *b) == pytest.approx(math.pi * EARTH_RADIUS_KM)

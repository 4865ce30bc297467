"""Behaviour of the country shapes: which country a point is in, and a point inside each."""

from __future__ import annotations

import re

import pytest

from safepassage.lib.geo.shapes import country_centre, country_contains, country_shape_codes


@pytest.mark.parametrize(
    ("code", "latitude", "longitude"),
    [
        ("DE", 52.5200, 13.4050),  # Berlin
        ("US", 38.8977, -77.0365),  # Washington
        ("KR", 37.5665, 126.9780),  # Seoul
        ("KP", 39.0392, 125.7625),  # Pyongyang
        ("JP", 35.6762, 139.6503),  # Tokyo
        ("AU", -35.2809, 149.1300),  # Canberra
        ("CA", 45.4215, -75.6972),  # Ottawa
        ("GB", 51.5074, -0.1278),  # London
        ("LS", -29.6, 28.3),  # inside Lesotho, a hole in South Africa
        ("RU", 66.0, -172.0),  # Chukotka, east of the antimeridian
        ("FJ", -17.8, 178.0),  # Viti Levu
    ],
)
def test_a_capital_lies_in_its_country(code, latitude, longitude):
    assert country_contains(code, latitude, longitude, tolerance_km=0) is True


@pytest.mark.parametrize(
    ("code", "latitude", "longitude"),
    [
        ("FR", 52.5200, 13.4050),  # Berlin
        ("KP", 37.5665, 126.9780),  # Seoul
        ("KR", 39.0392, 125.7625),  # Pyongyang
        ("ZA", -29.6, 28.3),  # Lesotho, inside South Africa's outline
        ("US", 66.0, -172.0),  # Chukotka, across the Bering Strait from Alaska
        ("CA", 38.8977, -77.0365),  # Washington
    ],
)
def test_a_capital_lies_outside_other_countries(code, latitude, longitude):
    assert country_contains(code, latitude, longitude) is False


def test_reunion_counts_as_france_because_natural_earth_draws_it_so():
    assert country_contains("FR", -20.88, 55.45, tolerance_km=0) is True
    assert country_contains("RE", -20.88, 55.45) is None


@pytest.mark.parametrize(
    ("code", "latitude", "longitude"),
    [
        ("MT", 35.8989, 14.5146),  # Valletta
        ("WS", -13.8333, -171.7667),  # Apia
        ("SG", 1.2897, 103.8501),  # Singapore
        ("VA", 41.9022, 12.4539),  # Vatican City
        ("FJ", -16.5, -179.95),  # Vanua Levu's tip, west of the antimeridian
    ],
)
def test_coastal_and_small_island_addresses_are_forgiven_within_the_tolerance(
    code, latitude, longitude
):
    assert country_contains(code, latitude, longitude) is True


def test_the_tolerance_is_a_distance_in_kilometres():
    # Dover is about 35 km from Cap Gris-Nez.
    assert country_contains("FR", 51.1279, 1.3134, tolerance_km=0) is False
    assert country_contains("FR", 51.1279, 1.3134, tolerance_km=10) is False
    assert country_contains("FR", 51.1279, 1.3134, tolerance_km=40) is True


def test_a_point_at_sea_is_outside():
    assert country_contains("PT", 30.0, -40.0) is False
    assert country_contains("US", 30.0, -40.0) is False


@pytest.mark.parametrize("code", ["XX", "", "TV", "AQ", "XK"])
def test_a_country_without_a_shape_cannot_be_checked(code):
    assert code not in country_shape_codes()
    assert country_contains(code, 0.0, 0.0) is None
    assert country_centre(code) is None


def test_codes_are_read_case_insensitively():
    assert country_contains(" de ", 52.52, 13.405) is True
    assert country_centre("de") == country_centre("DE")


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(91.0, 0.0), (float("nan"), 0.0), (0.0, float("inf"))]
)
def test_a_position_off_the_earth_is_refused(latitude, longitude):
    with pytest.raises(ValueError, match="not a position"):
        country_contains("DE", latitude, longitude)


def test_longitudes_outside_the_usual_range_wrap_around():
    assert country_contains("DE", 52.52, 13.405 + 360) is True


def test_shapes_cover_the_countries_pycountry_names_by_number():
    codes = country_shape_codes()
    assert len(codes) > 200
    assert {"DE", "FR", "US", "CN", "BR", "ZA", "AU", "MT", "SG", "WS", "PS", "EH"} <= codes
    assert all(re.fullmatch("[A-Z]{2}", code) for code in codes)


# --- Centres --------------------------------------------------------------------------------


def test_every_centre_lies_in_its_country():
    outside = [
        code
        for code in sorted(country_shape_codes())
        if not country_contains(code, *country_centre(code), tolerance_km=0)  # type: ignore[misc]
    ]
    assert outside == []


def test_a_centre_is_on_the_largest_polygon():
    latitude, longitude = country_centre("FR")  # type: ignore[misc]
    assert 42 < latitude < 51 and -5 < longitude < 8  # mainland France, not French Guiana
    latitude, longitude = country_centre("US")  # type: ignore[misc]
    assert 30 < latitude < 45 and -110 < longitude < -85  # the lower 48, not Alaska

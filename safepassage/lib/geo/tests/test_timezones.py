"""Behaviour of time zones: a place takes the zone of the nearest GeoNames city."""

from __future__ import annotations

from safepassage.lib.geo.timezones import time_zone_for


def test_coordinates_take_the_zone_of_the_nearest_city() -> None:
    assert time_zone_for("DE", "", 48.14, 11.58) == "Europe/Berlin"


def test_a_territory_with_a_code_of_its_own_takes_its_own_zone() -> None:
    # Réunion is RE in GeoNames, so no city of FR is near it: the nearest city anywhere decides.
    assert time_zone_for("FR", "", -20.88, 55.45) == "Indian/Reunion"


def test_without_coordinates_the_city_is_found_by_any_of_its_names() -> None:
    assert time_zone_for("KR", "서울") == "Asia/Seoul"
    assert time_zone_for("RU", "Vladivostok") == "Asia/Vladivostok"


def test_a_country_with_one_zone_needs_no_city() -> None:
    assert time_zone_for("DE") == "Europe/Berlin"


def test_the_data_may_not_tell() -> None:
    assert time_zone_for("US") is None  # several zones, no city
    assert time_zone_for("ZZ") is None
    assert time_zone_for("US", "", 0.0, -150.0) is None  # open sea, far from every city

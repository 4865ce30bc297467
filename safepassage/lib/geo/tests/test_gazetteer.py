"""Behaviour of the gazetteer: a signer's city, typed any way, becomes coordinates."""

from __future__ import annotations

import sqlite3
import statistics
import time
from contextlib import closing
from pathlib import Path

import pytest

from safepassage.lib.geo import cityindex, gazetteer
from safepassage.lib.geo.distance import distance_km
from safepassage.lib.geo.gazetteer import country_centre, locate, region_centre


@pytest.fixture(scope="session", autouse=True)
def index() -> Path:
    """Build the index once for the session (about 10 s), or reuse the one on disk."""
    return cityindex.ensure_index()


def km(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) -> float:
    lat1, lon1, lat2, lon2 = (float(value or 0) for value in (*a, *b))
    return distance_km(lat1, lon1, lat2, lon2)


def where(place: gazetteer.Place) -> tuple[float | None, float | None]:
    return place.latitude, place.longitude


SEOUL = (37.57, 126.98)
TOKYO = (35.69, 139.69)
BEIJING = (39.91, 116.40)
MUNICH = (48.14, 11.58)
SAO_PAULO = (-23.55, -46.63)
THE_HAGUE = (52.08, 4.30)


# --- Cities in any script -----------------------------------------------------


@pytest.mark.parametrize("typed", ["서울", "서울특별시", "Seoul"])
def test_it_finds_seoul(typed: str) -> None:
    place = locate("KR", typed)
    assert (place.precision, place.city, place.region) == ("city", "Seoul", "KR-11")
    assert km(where(place), SEOUL) < 10


@pytest.mark.parametrize("typed", ["東京", "東京都", "Tokyo"])
def test_it_finds_tokyo(typed: str) -> None:
    place = locate("JP", typed)
    assert (place.precision, place.city, place.region) == ("city", "Tokyo", "JP-13")
    assert km(where(place), TOKYO) < 10


@pytest.mark.parametrize("typed", ["北京", "北京市", "Beijing"])
def test_it_finds_beijing(typed: str) -> None:
    place = locate("CN", typed)
    assert (place.precision, place.city, place.region) == ("city", "Beijing", "CN-BJ")
    assert km(where(place), BEIJING) < 10


@pytest.mark.parametrize("typed", ["München", "Munchen", "Munich", "münchen"])
def test_it_finds_munich(typed: str) -> None:
    place = locate("DE", typed)
    assert (place.precision, place.region) == ("city", "DE-BY")
    assert km(where(place), MUNICH) < 10


@pytest.mark.parametrize("typed", ["Sao Paulo", "São Paulo", "SÃO PAULO"])
@pytest.mark.parametrize("region", ["", "BR-SP"])
def test_it_finds_the_metropolis_rather_than_a_homonym(typed: str, region: str) -> None:
    place = locate("BR", typed, region)
    assert (place.city, place.region) == ("São Paulo", "BR-SP")
    assert km(where(place), SAO_PAULO) < 10


def test_it_finds_new_york_by_its_nickname() -> None:
    place = locate("US", "NYC")
    assert (place.city, place.region) == ("New York City", "US-NY")


@pytest.mark.parametrize("typed", ["The Hague", "Den Haag", "'s-Gravenhage"])
def test_it_finds_the_hague_by_any_of_its_names(typed: str) -> None:
    place = locate("NL", typed)
    assert (place.precision, place.region) == ("city", "NL-ZH")
    assert km(where(place), THE_HAGUE) < 10


def test_it_finds_a_city_with_accents_typed_or_not() -> None:
    accented, plain = locate("BR", "Marabá", "BR-PA"), locate("BR", "Maraba", "BR-PA")
    assert accented == plain
    assert (accented.city, accented.region) == ("Marabá", "BR-PA")
    assert km(where(accented), (-5.37, -49.12)) < 20


# --- Homonyms and regions -----------------------------------------------------


def test_the_region_decides_between_namesakes() -> None:
    illinois = locate("US", "Springfield", "US-IL")
    massachusetts = locate("US", "Springfield", "US-MA")
    assert (illinois.region, massachusetts.region) == ("US-IL", "US-MA")
    assert km(where(illinois), (39.80, -89.64)) < 20
    assert km(where(massachusetts), (42.10, -72.59)) < 20


def test_a_region_may_be_given_by_name() -> None:
    assert locate("US", "Springfield", "Illinois") == locate("US", "Springfield", "US-IL")


def test_it_finds_waterloo_in_ontario_and_in_belgium() -> None:
    ontario = locate("CA", "Waterloo", "CA-ON")
    belgium = locate("BE", "Waterloo")
    assert (ontario.precision, ontario.region) == ("city", "CA-ON")
    assert km(where(ontario), (43.47, -80.52)) < 20
    assert belgium.precision == "city"
    assert km(where(belgium), (50.72, 4.40)) < 20


def test_it_finds_washington_dc() -> None:
    place = locate("US", "Washington", "US-DC")
    assert (place.precision, place.region) == ("city", "US-DC")
    assert km(where(place), (38.90, -77.04)) < 10


def test_puerto_rico_is_a_country_of_its_own_and_a_us_region() -> None:
    as_country = locate("PR", "San Juan")
    as_region = locate("US", "San Juan", "US-PR")
    assert (as_country.precision, as_country.city) == ("city", "San Juan")
    assert km(where(as_country), (18.47, -66.11)) < 10
    assert where(as_region) == where(as_country)
    assert as_region.region == "US-PR"


def test_free_text_region_is_ignored_where_there_are_no_subdivisions() -> None:
    assert where(locate("PR", "San Juan", "Old San Juan district")) == where(
        locate("PR", "San Juan")
    )


# --- Falling back -------------------------------------------------------------


def test_an_unknown_city_in_a_known_region_falls_back_to_the_region() -> None:
    place = locate("DE", "Nirgendwo-am-See", "DE-BY")
    assert (place.precision, place.region, place.city) == ("region", "DE-BY", "")
    assert km(where(place), MUNICH) < 200
    assert where(place) == region_centre("DE-BY")


def test_an_unknown_city_without_a_region_falls_back_to_the_country() -> None:
    place = locate("DE", "Nirgendwo-am-See")
    assert (place.precision, place.region, place.city) == ("country", "", "")
    assert where(place) == country_centre("DE")
    assert km(where(place), (51.0, 10.0)) < 200


def test_an_unknown_country_is_nowhere() -> None:
    assert locate("ZZ", "Berlin") == gazetteer.Place(None, None, "none", "", "")
    assert country_centre("ZZ") is None
    assert region_centre("ZZ-01") is None


# --- Speed --------------------------------------------------------------------


def test_an_uncached_lookup_takes_well_under_a_millisecond(index: Path) -> None:
    with closing(sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True)) as db:
        sample = db.execute(
            "SELECT country, name, region FROM cities ORDER BY random() LIMIT 1000"
        ).fetchall()
    gazetteer._locate_cached.cache_clear()
    timings = []
    for country, name, region in sample:
        started = time.perf_counter()
        place = locate(country, name, region)
        timings.append(time.perf_counter() - started)
        assert place.precision == "city"
    assert statistics.median(timings) < 0.001

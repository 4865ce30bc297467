"""Regions by the names people give them, and lines of text taken apart (offline)."""

from __future__ import annotations

import pytest

from safepassage.lib import geo
from safepassage.lib.geo import freetext, postcodes


@pytest.mark.parametrize(
    ("country", "text", "code"),
    [
        # Everyday names where ISO 3166-2 has others ("Seoul-teukbyeolsi").
        ("KR", "Seoul", "KR-11"),
        ("KR", "Busan", "KR-26"),
        ("KR", "seoul", "KR-11"),
        ("KR", "서울", "KR-11"),
        ("KR", "서울특별시", "KR-11"),
        ("KR", "부산광역시", "KR-26"),
        ("KR", "Gyeonggi", "KR-41"),
        ("KR", "경기도", "KR-41"),
        ("IN", "Maharashtra", "IN-MH"),
        ("IN", "MAHARASHTRA", "IN-MH"),
        ("IN", "Mahārāshtra", "IN-MH"),
        ("IN", "महाराष्ट्र", "IN-MH"),
        ("TH", "Bangkok", "TH-10"),
        ("TH", "กรุงเทพมหานคร", "TH-10"),
        ("TH", "Krung Thep Maha Nakhon", "TH-10"),
        ("CA", "ON", "CA-ON"),
        ("CA", "Ontario", "CA-ON"),
        ("CA", "Ontario Province", "CA-ON"),
        ("CA", "Québec", "CA-QC"),
        ("CA", "quebec", "CA-QC"),
        ("US", "il", "US-IL"),
        ("US", "D.C.", "US-DC"),
        ("US", "US-CA", "US-CA"),
        ("JP", "東京都", "JP-13"),
        ("JP", "Tokyo-to", "JP-13"),
        ("CN", "北京", "CN-BJ"),
        ("RU", "Москва", "RU-MOW"),
        ("RU", "Moscow Oblast", "RU-MOS"),
        ("EG", "القاهرة", "EG-C"),
        ("DE", "Bavaria", "DE-BY"),
        ("DE", "Bayern", "DE-BY"),
        ("GB", "Scotland", "GB-SCT"),
        ("GB", "Kent", "GB-ENG"),  # a county: the nation it is in
        ("MX", "CDMX", "MX-CMX"),
        ("AR", "Buenos Aires", "AR-B"),
        ("AR", "CABA", "AR-C"),
        ("BR", "Pará", "BR-PA"),
    ],
)
def test_a_region_is_found_by_any_name(country: str, text: str, code: str) -> None:
    assert geo.find_subdivision(country, text) == code


@pytest.mark.parametrize(("country", "text"), [("KR", "Ontario"), ("US", "Nowhere"), ("CA", "")])
def test_an_unknown_region_is_not_guessed(country: str, text: str) -> None:
    assert geo.find_subdivision(country, text) is None


@pytest.mark.parametrize(
    ("text", "chosen", "country", "region", "city"),
    [
        ("Waterloo, Ontario", "CA", "CA", "CA-ON", "Waterloo"),
        ("Waterloo, ON", "CA", "CA", "CA-ON", "Waterloo"),
        ("Waterloo ON", "CA", "CA", "CA-ON", "Waterloo"),
        ("Chicago, IL 60610", "US", "US", "US-IL", "Chicago"),  # IL: Illinois, not Israel
        ("Paris, France", "US", "FR", "", "Paris"),  # the typed country wins
        ("서울, 대한민국", "", "KR", "", "서울"),
        ("Москва, Россия", "", "RU", "", "Москва"),
        ("القاهرة، مصر", "", "EG", "", "القاهرة"),  # an Arabic comma
        ("10117 Berlin", "DE", "DE", "DE-BE", "Berlin"),
        ("Ontario", "CA", "CA", "CA-ON", ""),
    ],
)
def test_a_line_of_text_is_taken_apart(
    text: str, chosen: str, country: str, region: str, city: str
) -> None:
    query = freetext.parse(text, chosen)
    assert (query.country, query.region, query.city) == (country, region, city)


@pytest.mark.parametrize(
    ("country", "text", "region"),
    [
        ("US", "60610", "US-IL"),
        ("US", "60610-1234", "US-IL"),
        ("CA", "N2L 3G1", "CA-ON"),  # the forward sortation area
        ("CA", "n2l3g1", "CA-ON"),
        ("JP", "100-0001", "JP-13"),
        ("DE", "10117", "DE-BE"),
        ("BR", "01310-100", "BR-SP"),  # Brazil lists where each range begins
    ],
)
def test_a_postcode_is_found(country: str, text: str, region: str) -> None:
    found = postcodes.find(country, text)
    assert found is not None and found.region == region


def test_a_word_is_not_a_postcode() -> None:
    assert postcodes.find("GB", "IL") is None  # letters only: a region, not a postcode area
    assert postcodes.find("US", "123") is None
    assert postcodes.find("KR", "04536") is None  # no data for the country: no guess

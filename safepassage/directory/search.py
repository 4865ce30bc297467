"""Searching the missions by what people type: a city, a country or part of a name.

Used by the public list (``?q=``) and the personal letter's mission picker; both
work without JavaScript. Case, accents and punctuation do not matter; a country
matches by part of its name in the page's language or in English, or by its
whole name in any language we know.
"""

from __future__ import annotations

from collections.abc import Iterable

from safepassage.directory.models import Mission
from safepassage.lib import geo
from safepassage.lib.geo import freetext
from safepassage.lib.geo.names import normalise


def search_key(text: str) -> str:
    """The form of a search that ``matches`` compares (at most 100 characters)."""
    return normalise(" ".join(text.split())[:100])


def matches(key: str, mission: Mission, language: str) -> bool:
    """Whether the mission's name, city or host country contains the normalised search."""
    if not key:
        return True
    country = mission.host_country
    haystack = " | ".join(
        (
            mission.name,
            mission.city,
            geo.country_name(country, language),
            geo.country_name(country, "en"),
            country,
        )
    )
    return key in normalise(haystack)


def search(missions: Iterable[Mission], text: str, language: str) -> list[Mission]:
    """The missions whose name, city or country match, or that are in the country named
    in any language we know ("Südkorea", "대한민국")."""
    key = search_key(text)
    country = freetext.find_country(text) if key else None
    return [m for m in missions if m.host_country == country or matches(key, m, language)]

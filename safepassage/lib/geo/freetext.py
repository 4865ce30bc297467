"""A place typed in one line, taken apart: "Waterloo, Ontario", "Chicago, IL 60610".

People type where they live as they would write it on an envelope: a city with
its region ("Waterloo, ON", "Washington DC"), with its country ("Paris, France",
"서울, 대한민국"), a postcode with or without the city ("10117 Berlin", "N2L 3G1",
"60610"). ``parse`` finds the country (a name in the text wins over the one
chosen in a list, since it is more specific), then any postcode, then the region,
and leaves the city to the gazetteer. Only bundled data is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pycountry
from django.conf import settings

from safepassage.lib.geo import gazetteer, places, postcodes, regions
from safepassage.lib.geo.names import normalise
from safepassage.lib.geo.sources import package_dir, read_json

# Commas as scripts write them: Latin, Arabic, ideographic and full-width.
_PARTS = re.compile("[,;\u060c\u3001\uff0c]+")

# Everyday names of countries that the data sets do not give.
_COUNTRY_ALIASES = {
    "US": ("USA", "U.S.", "U.S.A.", "America", "United States of America", "미국", "アメリカ"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales", "영국"),
    "KR": ("Korea", "South Korea", "Republic of Korea", "대한민국", "한국", "韓国"),
    "NL": ("Holland", "Nederland"),
    "RU": ("Russia", "Россия"),
    "DE": ("Deutschland",),
    "CN": ("China", "中国", "中國"),
    "JP": ("Japan", "日本"),
}


@dataclass(frozen=True)
class Query:
    """What a line of text says about a place."""

    country: str  # ISO 3166-1 alpha-2, or "" when neither the text nor the caller gave one
    region: str  # first-level ISO 3166-2 code, or ""
    city: str  # the part left for the gazetteer, or ""
    postcode: postcodes.Postcode | None = None
    country_from_text: bool = False


def _countries_json() -> list[dict[str, object]]:
    path = package_dir("countrystatecity_countries") / "data" / "countries.json"
    return list(read_json(path))


@cache
def _country_index() -> dict[str, str]:
    """Normalised country name (any language we ship) -> alpha-2 code."""
    codes = places.country_codes()
    tiers: list[list[tuple[str, str]]] = [[], [], []]
    for code, aliases in _COUNTRY_ALIASES.items():
        tiers[0].extend((alias, code) for alias in aliases)
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name", "alpha_3"):
            value = getattr(country, attribute, None)
            if value:
                tiers[0].append((value, country.alpha_2))
    for language, _label in settings.LANGUAGES:
        tiers[1].extend((name, code) for code, name in places.countries(language))
    for row in _countries_json():
        iso2 = row.get("iso2")
        if not isinstance(iso2, str) or iso2 not in codes:
            continue
        names = [row.get("name"), row.get("native")]
        translations = row.get("translations")
        if isinstance(translations, dict):
            names += list(translations.values())
        tiers[2].extend((name, iso2) for name in names if isinstance(name, str) and name)
    index: dict[str, str] = {}
    for number, tier in enumerate(tiers):
        keyed = [(normalise(name), code) for name, code in tier]
        seen: dict[str, set[str]] = {}
        for key, code in keyed:
            seen.setdefault(key, set()).add(code)
        for key, code in keyed:
            # The least careful source gives some names to two countries: neither gets them.
            if key and (number < 2 or len(seen[key]) == 1):
                index.setdefault(key, code)
    return index


def find_country(text: str) -> str | None:
    """The alpha-2 code of the country ``text`` names, in any language we know."""
    key = normalise(text)
    if len(key) == 2 and key.upper() in places.country_codes():
        return key.upper()
    return _country_index().get(key)


def _take_postcode(country: str, part: str) -> tuple[str, postcodes.Postcode | None]:
    """``part`` without the first postcode in it, and that postcode's entry."""
    tokens = part.split()
    spans = [(i, i + 2) for i in range(len(tokens) - 1)] + [(i, i + 1) for i in range(len(tokens))]
    for start, end in spans:
        candidate = " ".join(tokens[start:end])
        if postcodes.looks_like_postcode(country, candidate):
            found = postcodes.find(country, candidate)
            if found is not None or end - start == 1:
                rest = " ".join(tokens[:start] + tokens[end:])
                return rest, found
    return part, None


def _is_city(country: str, text: str, region: str = "") -> bool:
    return gazetteer.locate(country, text, region).precision == "city"


def parse(text: str, country: str = "") -> Query:
    """The country, region, city and postcode in a line such as "Waterloo, Ontario"."""
    parts = [" ".join(part.split()) for part in _PARTS.split(text)]
    parts = [part for part in parts if part]
    country = country.strip().upper()
    from_text = False
    # "City, Country": a last part naming a country (unless it is a region of the
    # chosen one: "Chicago, IL" is Illinois, not Israel).
    if len(parts) >= 2:
        named = find_country(parts[-1])
        if named and not (country and regions.find_subdivision(country, parts[-1])):
            from_text = named != country
            country = named
            parts.pop()
    if not country:
        return Query("", "", parts[0] if parts else "")
    postcode = None
    for index, part in enumerate(parts):
        rest, found = _take_postcode(country, part)
        if rest != part:
            parts[index] = rest
            postcode = found
            break
    parts = [part for part in parts if part]
    region = ""
    while len(parts) >= 2 and not region:
        region = regions.find_subdivision(country, parts[-1]) or ""
        if region:
            parts.pop()
        else:
            break
    if len(parts) == 1 and not region and not _is_city(country, parts[0]):
        # "Waterloo ON", "Washington DC": a region after the city, without a comma.
        words = parts[0].split()
        for cut in range(len(words) - 1, 0, -1):
            found_region = regions.find_subdivision(country, " ".join(words[cut:]))
            if found_region:
                region = found_region
                parts = [" ".join(words[:cut])]
                break
    if len(parts) == 1 and not region and postcode is None:
        # Only a region ("Ontario", "Seoul"): its centre, unless it is a city's name too.
        only = regions.find_subdivision(country, parts[0])
        if only and not _is_city(country, parts[0]):
            return Query(country, only, "", None, from_text)
    city = parts[0] if parts else ""
    if postcode is not None:
        region = region or postcode.region
        if not city and postcode.locality and _is_city(country, postcode.locality, region):
            city = postcode.locality
    return Query(country, region, city, postcode, from_text)

"""A country's first-level regions by any name people give them, offline.

ISO 3166-2 names are often not the everyday ones: pycountry calls Seoul
"Seoul-teukbyeolsi", Bangkok "Krung Thep Maha Nakhon" and Maharashtra
"Mahārāshtra". Paper lists and API clients send what people write: "Seoul",
"서울", "Bangkok", "กรุงเทพฯ", "Maharashtra", "ON". ``find_subdivision`` accepts
all of these and answers the ISO code, reading only bundled data:

- the code itself (``CA-ON``) and its part after the country (``ON``);
- pycountry's names and their translations into the site's languages;
- the countries-states-cities database's English and native names, of first-level
  regions and of the counties and districts inside them (Kent is in England);
- each of those without the word for its kind (서울특별시, "Seoul-teukbyeolsi",
  "Ontario Province", "Province of Buenos Aires").

Names are compared by ``names.normalise``: case, accents and punctuation aside.
When two regions share a name, the more authoritative source decides (codes,
then pycountry, then the other database, then shortened names).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pycountry
from django.conf import settings

from safepassage.lib.geo import places
from safepassage.lib.geo.names import normalise, strip_kind
from safepassage.lib.geo.sources import first_level, package_dir, read_json, top_region

# Words for the kind of region, as they end or start a name in the romanised
# forms of ISO 3166-2 and in English ("Seoul-teukbyeolsi", "Kyoto-fu").
_KIND_ENDINGS = re.compile(
    r"\s+(teukbyeoljachido|teukbyeoljachisi|teukbyeolsi|gwangyeoksi|do|to|fu|ken|"
    r"province|prefecture|state|region|oblast|krai|governorate|department|territory|"
    r"municipality|autonomous region|special administrative region|county|district)$"
)
_KIND_STARTS = re.compile(
    r"^(province of|state of|region of|department of|governorate of|municipality of|"
    r"provincia de|provincia di|estado de|region de|departamento de)\s+"
)


# Everyday names that no data set above spells out.
_ALIASES = {
    "US-DC": ("DC", "D.C.", "Washington DC", "Washington D.C.", "District of Columbia"),
    "MX-CMX": ("CDMX", "Mexico City", "Ciudad de Mexico", "Distrito Federal", "DF"),
    "AR-C": (
        "CABA",
        "Capital Federal",
        "Ciudad de Buenos Aires",
        "Ciudad Autonoma de Buenos Aires",
    ),
    "TH-10": ("Bangkok", "กรุงเทพมหานคร", "กรุงเทพ"),
    "RU-MOW": ("Moscow", "Москва", "Moscow City"),
    "RU-MOS": ("Moscow Oblast", "Московская область"),
    "RU-SPE": ("Saint Petersburg", "St Petersburg", "Санкт-Петербург"),
    "KR-11": ("Seoul", "서울"),
    "KR-26": ("Busan", "Pusan", "부산"),
    "JP-13": ("Tokyo", "東京"),
    "CN-BJ": ("Beijing", "Peking", "北京"),
    "CN-SH": ("Shanghai", "上海"),
    "DE-BE": ("Berlin",),
    "GB-ENG": ("England",),
    "GB-SCT": ("Scotland",),
    "GB-WLS": ("Wales", "Cymru"),
    "GB-NIR": ("Northern Ireland",),
}


def _short_forms(key: str) -> set[str]:
    """``key`` without the words for its kind, as far as that changes it."""
    forms = set()
    for shorter in (_KIND_ENDINGS.sub("", key), _KIND_STARTS.sub("", key), strip_kind(key)):
        if shorter and shorter != key:
            forms.add(shorter)
    return forms


def _states(country: str) -> list[dict[str, Any]]:
    path = package_dir("countrystatecity_countries") / "data" / "by-country" / country
    states = path / "states.json"
    return list(read_json(states)) if states.exists() else []


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@cache
def _index(country: str) -> dict[str, str]:
    """Normalised name -> first-level ISO 3166-2 code, for one country."""
    top = first_level(country)
    if not top:
        return {}
    tiers: list[list[tuple[str, str]]] = [[], [], [], []]
    for code in sorted(top):
        tiers[0].append((code, code))
        tiers[0].append((code.split("-", 1)[1], code))
    for sub in pycountry.subdivisions.get(country_code=country) or []:  # type: ignore[no-untyped-call]
        if sub.code in top:
            tiers[1].append((sub.name, sub.code))
    for language in _languages():
        for code, name in places.subdivisions(country, language):
            tiers[1].append((name, code))
    for state in _states(country):
        listed = state.get("iso3166_2")
        top_code = top_region(country, listed if isinstance(listed, str) else None)
        if not top_code:
            continue
        level = 2 if listed == top_code else 3
        for label in (state.get("name"), state.get("native")):
            if isinstance(label, str) and label:
                tiers[level].append((label, top_code))
    for code, aliases in _ALIASES.items():
        if code in top:
            tiers[0].extend((alias, code) for alias in aliases)
    index: dict[str, str] = {}
    for number, names in enumerate(tiers):
        keyed = [(normalise(name), code) for name, code in names]
        codes: dict[str, set[str]] = {}
        for key, code in keyed:
            codes.setdefault(key, set()).add(code)
        for key, code in keyed:
            # Within the other database, a name given to two regions names neither
            # (it calls both Moscow and the oblast around it "Moscow").
            if key and (number < 2 or len(codes[key]) == 1):
                index.setdefault(key, code)
    # Shortened forms last: "Seoul" from "Seoul-teukbyeolsi", 서울 from 서울특별시.
    for key, code in list(index.items()):
        for short in _short_forms(key):
            index.setdefault(short, code)
    return index


def find_subdivision(country_code: str, text: str, language: str = "en") -> str | None:
    """The ISO 3166-2 code of a first-level region given its code or any name we know.

    ``language`` is accepted for the callers that pass the page's language; the
    names of every language of the site are always known.
    """
    country = country_code.strip().upper()
    key = normalise(text)
    if not key:
        return None
    found = places.find_subdivision(country, text, language)
    if found:
        return found
    index = _index(country)
    found = index.get(key)
    if found is None:
        for short in _short_forms(key):
            found = index.get(short)
            if found:
                break
    return found


def region_names(country_code: str) -> dict[str, str]:
    """Every name we know for the country's regions (normalised) and its code."""
    return dict(_index(country_code.strip().upper()))

"""Where a postcode is, from the bundled postal-code data (countrystatecity-postal-codes, ODbL).

The data set lists postcodes of 125 countries with their region, place and
often coordinates: every US ZIP code, Canada's forward sortation areas (the
first three characters), the UK's postcode areas, Japan's and Germany's full
codes. ``find`` matches a typed postcode exactly, else on the longest listed
code it begins with (N2L 3G1 -> N2L, SW1A 1AA -> SW), else on the nearest
listed code below it in the same area (Brazil lists where each range begins). A country's data
is read the first time one of its postcodes is asked for; nothing goes online.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from safepassage.lib.geo import places
from safepassage.lib.geo.sources import coordinate, package_dir, read_json, top_region


@dataclass(frozen=True, slots=True)
class Postcode:
    code: str  # as listed
    region: str  # first-level ISO 3166-2 code, or ""
    locality: str  # the place the data names, or ""
    latitude: float | None
    longitude: float | None


def _compact(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text).upper()


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """Each country's postcode pattern, as the data set gives it."""
    root = package_dir("countrystatecity_postal_codes") / "data"
    found: dict[str, re.Pattern[str]] = {}
    for row in read_json(root / "countries.json"):
        regex = row.get("postalCodeRegex")
        if row.get("countryCode") and regex:
            try:
                found[row["countryCode"]] = re.compile(regex, re.IGNORECASE)
            except re.error:
                continue
    return found


def looks_like_postcode(country: str, text: str) -> bool:
    """Whether ``text`` is written like a postcode of ``country`` (and has a digit)."""
    if not any(char.isdigit() for char in text):
        return False
    pattern = _patterns().get(country.upper())
    if pattern is None:
        return False
    text = text.strip().upper()
    return bool(pattern.match(text) or pattern.match(text.replace(" ", "")))


def _region(country: str, state: object) -> str:
    if not isinstance(state, str) or not state:
        return ""
    return top_region(country, f"{country}-{state}")


@lru_cache(maxsize=8)
def _table(country: str) -> tuple[list[str], list[Postcode]]:
    """A country's postcodes, sorted by their compact form."""
    path = package_dir("countrystatecity_postal_codes") / "data" / "by-country" / country
    path = path / "postcodes.json"
    if country not in places.country_codes() or not path.exists():
        return [], []
    rows: dict[str, Postcode] = {}
    for row in read_json(path):
        code = str(row.get("code") or "")
        if not code:
            continue
        rows.setdefault(
            _compact(code),
            Postcode(
                code=code,
                region=_region(country, row.get("stateCode")),
                locality=str(row.get("localityName") or ""),
                latitude=coordinate(row.get("latitude")),
                longitude=coordinate(row.get("longitude")),
            ),
        )
    keys = sorted(rows)
    return keys, [rows[key] for key in keys]


def find(country: str, text: str) -> Postcode | None:
    """The listed postcode ``text`` is, or the area it lies in; None if we cannot tell."""
    country = country.strip().upper()
    wanted = _compact(text)
    if len(wanted) < 2 or not looks_like_postcode(country, text):
        return None
    keys, values = _table(country)
    if not keys:
        return None
    at = bisect.bisect_left(keys, wanted)
    if at < len(keys) and keys[at] == wanted:
        return values[at]
    # The longest listed code the typed one begins with: an area or district.
    for end in range(len(wanted) - 1, 1, -1):
        at = bisect.bisect_left(keys, wanted[:end])
        if at < len(keys) and keys[at] == wanted[:end]:
            return values[at]
    # The nearest listed code below, if it shares the area (the first two characters):
    # where the data lists only the first code of each range (Brazil), or a newer code.
    below = bisect.bisect_right(keys, wanted) - 1
    if below >= 0 and keys[below][:2] == wanted[:2]:
        return values[below]
    return None

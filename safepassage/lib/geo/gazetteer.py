"""Where a signer is, from country, region and city, offline and in any script.

Signers give an ISO 3166-1 country, a region (an ISO 3166-2 code when
pycountry knows the country's subdivisions, otherwise free text) and a city
typed as they like it: 서울, 東京都, "Sao Paulo", "NYC". ``locate`` turns that
into coordinates for routing each signer to the nearest mission, reading the
city index that cityindex.py builds from GeoNames and the countries-states-cities
database.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from safepassage.lib.geo import regions
from safepassage.lib.geo.cityindex import ensure_index
from safepassage.lib.geo.names import normalise, strip_kind

# Regions that ISO 3166-2 files under one country while GeoNames (and ISO 3166-1)
# treat them as countries of their own: their cities are searched there.
_TERRITORIES = {
    "US-AS": "AS",
    "US-GU": "GU",
    "US-MP": "MP",
    "US-PR": "PR",
    "US-UM": "UM",
    "US-VI": "VI",
    "CN-HK": "HK",
    "CN-MO": "MO",
    "CN-TW": "TW",
    "NL-AW": "AW",
    "NL-CW": "CW",
    "NL-SX": "SX",
    "FR-BL": "BL",
    "FR-MF": "MF",
    "FR-NC": "NC",
    "FR-PF": "PF",
    "FR-PM": "PM",
    "FR-TF": "TF",
    "FR-WF": "WF",
    "FR-971": "GP",
    "FR-972": "MQ",
    "FR-973": "GF",
    "FR-974": "RE",
    "FR-976": "YT",
    "FI-01": "AX",
    "NL-BQ1": "BQ",
    "NL-BQ2": "BQ",
    "NL-BQ3": "BQ",
    "NO-21": "SJ",
    "NO-22": "SJ",
}

_PARENTS = {country: code for code, country in reversed(_TERRITORIES.items())}


def territory_parent(country: str) -> str:
    """The ISO 3166-2 code under which another country files this one (PR: US-PR), or ""."""
    return _PARENTS.get(country.upper(), "")


@dataclass(frozen=True)
class Place:
    latitude: float | None
    longitude: float | None
    precision: str  # "city", "region", "country" or "none"
    region: str  # ISO 3166-2 code when known, else ""
    city: str  # the matched city's GeoNames name, "" unless precision == "city"


NOWHERE = Place(None, None, "none", "", "")


_local = threading.local()


def _db() -> sqlite3.Connection:
    """This thread's read-only connection to the index."""
    db: sqlite3.Connection | None = getattr(_local, "db", None)
    if db is None:
        # immutable=1: the file never changes once built, so SQLite takes no locks.
        db = sqlite3.connect(f"{ensure_index().as_uri()}?mode=ro&immutable=1", uri=True)
        _local.db = db
    return db


# --- Lookups ------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    name: str
    region: str
    latitude: float
    longitude: float
    population: int


_CANDIDATES = """
SELECT c.name, c.region, c.latitude, c.longitude, c.population
FROM {table} AS n JOIN cities AS c ON c.id = n.city_id
WHERE n.country = ? AND n.key = ?
"""


def _candidates(country: str, city: str) -> list[_Candidate]:
    key = normalise(city)
    if not key:
        return []
    db = _db()
    rows = db.execute(_CANDIDATES.format(table="names"), (country, key)).fetchall()
    if not rows:
        short = strip_kind(key)
        rows = db.execute(_CANDIDATES.format(table="short_names"), (country, key)).fetchall()
        if short != key:
            for table in ("names", "short_names"):
                rows += db.execute(_CANDIDATES.format(table=table), (country, short)).fetchall()
    return [_Candidate(*row) for row in rows]


def _point(table: str, code: str) -> tuple[float, float] | None:
    row = _db().execute(f"SELECT latitude, longitude FROM {table} WHERE code = ?", (code,))  # noqa: S608
    found = row.fetchone()
    return (float(found[0]), float(found[1])) if found else None


def region_centre(code: str) -> tuple[float, float] | None:
    """The centre of a first-level ISO 3166-2 subdivision, if we know it."""
    return _point("regions", code.strip().upper())


def country_centre(code: str) -> tuple[float, float] | None:
    """The centre of an ISO 3166-1 alpha-2 country, if we know it."""
    return _point("countries", code.strip().upper())


def _pick(candidates: Iterable[_Candidate]) -> _Candidate | None:
    return max(candidates, key=lambda c: c.population, default=None)


def _locate(country: str, city: str, region: str) -> Place:
    region_code = (regions.find_subdivision(country, region) or "") if region else ""
    candidates = _candidates(_TERRITORIES.get(region_code, country), city)
    if region_code and region_code not in _TERRITORIES:
        # The signer chose the region from a list: a namesake elsewhere is not them.
        # Cities whose region we could not map may still be in it.
        found = _pick(c for c in candidates if c.region == region_code) or _pick(
            c for c in candidates if not c.region
        )
    else:
        found = _pick(candidates)
    if found is not None:
        return Place(
            found.latitude, found.longitude, "city", found.region or region_code, found.name
        )
    centre = region_centre(region_code) if region_code else None
    if centre is None and region_code in _TERRITORIES:
        centre = country_centre(_TERRITORIES[region_code])
    if centre is not None:
        return Place(*centre, "region", region_code, "")
    centre = country_centre(country)
    if centre is not None:
        return Place(*centre, "country", region_code, "")
    return NOWHERE


def locate_among(countries: Iterable[str], city: str) -> tuple[str, Place] | None:
    """The most populous city of this name in any of ``countries``, and its country.

    For a place typed without its country (서울 with Germany chosen): one indexed
    look-up per country, so callers pass the few countries that matter to them.
    """
    best: tuple[str, _Candidate] | None = None
    for country in sorted({c.strip().upper() for c in countries}):
        found = _pick(_candidates(country, city.strip()))
        if found is not None and (best is None or found.population > best[1].population):
            best = (country, found)
    if best is None:
        return None
    country, found = best
    return country, Place(found.latitude, found.longitude, "city", found.region, found.name)


@functools.lru_cache(maxsize=100_000)
def _locate_cached(country: str, city: str, region: str) -> Place:
    return _locate(country, city, region)


def locate(country: str, city: str, region: str = "") -> Place:
    """Coordinates for a signer, as precise as what they gave allows.

    The city is matched on any of its names in any script; with an ISO region
    code, a namesake in that region wins, otherwise the most populous one. An
    unknown city falls back to the region's centre, then the country's.
    """
    return _locate_cached(country.strip().upper(), city.strip(), region.strip())

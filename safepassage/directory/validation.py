"""Validation of one row of the directory's import format (transfer.py).

Each fault becomes a ``Problem``: the column, what is wrong, how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from safepassage.directory.importreport import Problem, Rejected
from safepassage.directory.models import PARTIAL_DATE, Mission, MissionArea
from safepassage.lib import geo
from safepassage.lib.geo import shapes
from safepassage.lib.spreadsheet import unneutralise

# Older or foreign column names accepted on import.
ALIASES = {
    "host_country_iso2": "host_country",
    "address": "postal_address",
    "source": "source_url",
    "key": "id",
}
KIND_ALIASES = {
    "consulate general": "consulate_general",
    "consulate-general": "consulate_general",
    "permanent mission": "permanent_mission",
}
MAX_LENGTHS = {
    "id": 100,
    "name": 300,
    "city": 120,
    "postcode": 20,
    "phone": 80,
    "fax": 80,
    "website": 300,
}
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def columns_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {ALIASES.get(str(k).strip(), str(k).strip()): v for k, v in raw.items() if k is not None}


@dataclass
class Row:
    line: int
    key: str
    values: dict[str, Any]
    areas: list[tuple[str, str]]  # (kind, code)
    # The mission's name in other languages, for each name_<language> column the file has
    # ("" removes that language's name).
    names: dict[str, str] = field(default_factory=dict)


# Optional columns: the mission's name in each of the site's other languages.
NAME_COLUMNS = {
    f"name_{code}": code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
}


def _codes(text: str) -> list[str]:
    return [code.strip().upper() for code in re.split(r"[|,;\s]+", text) if code.strip()]


class Problems(list[Problem]):
    def add(self, column: str, what: str, fix: str) -> None:
        self.append(Problem(column, what, fix))


def parse_date(text: str, label: str, problems: Problems) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(
            label,
            _("%(label)s %(value)r is not a date (YYYY-MM-DD)") % {"label": label, "value": text},
            _("Write the date as YYYY-MM-DD, e.g. 2026-09-24."),
        )
        return None


def _parse_coordinate(text: str, label: str, limit: float, problems: Problems) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.add(
            label,
            _("%(label)s %(value)r is not a number") % {"label": label, "value": text},
            _("Write decimal degrees with a dot, e.g. 48.1594, or leave it empty."),
        )
        return None
    if not -limit <= value <= limit:
        problems.add(
            label,
            _("%(label)s %(value)s is out of range") % {"label": label, "value": value},
            _("Latitude lies between -90 and 90, longitude between -180 and 180."),
        )
        return None
    return value


def validate_row(
    line: int, raw: Mapping[str, Any], default_sending_state: str, default_source_date: str
) -> tuple[Row | None, Rejected | None]:
    get = columns_of(raw)

    def text(name: str) -> str:
        value = get.get(name)
        if value is None:
            return ""
        if isinstance(value, list):
            return "|".join(str(item) for item in value)
        return unneutralise(str(value).strip())

    problems = Problems()
    key = text("id")
    if not key:
        problems.add(
            "id",
            _("id is empty"),
            _("Give every row a stable id: its Wikidata id (Q…) or a slug like cn-cg-de-munich."),
        )
    elif not _KEY_RE.match(key):
        problems.add(
            "id",
            _("id %(value)r may hold only letters, digits, '.', '_' and '-'") % {"value": key},
            _("Replace spaces and other signs with '-'."),
        )
    for name, limit in MAX_LENGTHS.items():
        if len(text(name)) > limit:
            problems.add(
                name,
                _("%(name)s is longer than %(limit)d characters") % {"name": name, "limit": limit},
                _("Shorten it to %(limit)d characters.") % {"limit": limit},
            )
    name = text("name")
    if not name:
        problems.add("name", _("name is empty"), _("Give the mission's name."))
    kind = text("kind").lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in Mission.Kind.values:
        problems.add(
            "kind",
            _("kind %(value)r is not one of %(kinds)s")
            % {"value": kind, "kinds": ", ".join(Mission.Kind.values)},
            _("Write one of: %(kinds)s.") % {"kinds": ", ".join(Mission.Kind.values)},
        )
    sending_state = (text("sending_state") or default_sending_state).upper()
    if sending_state not in geo.country_codes():
        problems.add(
            "sending_state",
            _("sending state %(value)r is not an ISO 3166-1 code") % {"value": sending_state},
            _(
                "Write the two-letter code of the government the mission represents (CN, RU…), "
                "or choose the sending state when you import a file without this column."
            ),
        )
    host = text("host_country").upper()
    country_fix = _("Write the two-letter ISO code of the country the mission is in, e.g. DE.")
    if host not in geo.country_codes():
        problems.add(
            "host_country",
            _("host country %(value)r is not an ISO 3166-1 code") % {"value": host},
            country_fix,
        )
    latitude = _parse_coordinate(text("latitude"), "latitude", 90, problems)
    longitude = _parse_coordinate(text("longitude"), "longitude", 180, problems)
    if (latitude is None) != (longitude is None) and not problems:
        problems.add(
            "latitude" if latitude is None else "longitude",
            _("latitude and longitude must both be given or both be empty"),
            _("Add the missing coordinate, or leave both empty."),
        )
    if latitude is not None and longitude is not None and host in geo.country_codes():
        inside = shapes.country_contains(host, latitude, longitude)
        if inside is False:
            problems.add(
                "latitude",
                _("coordinates %(lat)s, %(lon)s are not inside %(country)s")
                % {"lat": latitude, "lon": longitude, "country": geo.country_name(host)},
                _("Check the coordinates (latitude and longitude swapped?) and the host country."),
            )
    email = text("email").removeprefix("mailto:")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.add(
                "email",
                _("e-mail %(value)r is not a valid address") % {"value": email},
                _("Correct the address, or leave it empty."),
            )
    website = text("website")
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            problems.add(
                "website",
                _("website %(value)r is not an http(s) URL") % {"value": website},
                _("Give the full address, starting with https://, or leave it empty."),
            )
    status = (text("status") or "open").lower()
    if status not in Mission.Status.values:
        problems.add(
            "status",
            _("status %(value)r is not open or closed") % {"value": status},
            _("Write open or closed (empty means open)."),
        )
    opened, closed = text("opened"), text("closed")
    for label, value in (("opened", opened), ("closed", closed)):
        if value and not PARTIAL_DATE.match(value):
            problems.add(
                label,
                _("%(label)s %(value)r is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
                % {"label": label, "value": value},
                _("Write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 1998-07."),
            )
    if closed and status == Mission.Status.OPEN:
        problems.add(
            "status",
            _("a mission with a closing date must have status closed"),
            _("Set status to closed, or remove the closing date."),
        )
    source = text("source_url")
    if not source:
        problems.add(
            "source_url",
            _("source_url is empty: every row needs its source"),
            _("Give the address (URL) or the document the row's data comes from."),
        )
    source_date = parse_date(text("source_date") or default_source_date, "source_date", problems)
    areas: list[tuple[str, str]] = []
    for area_kind, column in (
        (MissionArea.Kind.DISTRICT, "district"),
        (MissionArea.Kind.ACCREDITATION, "accreditation"),
    ):
        for code in _codes(text(column)):
            if code in geo.country_codes() or (
                area_kind == MissionArea.Kind.DISTRICT and geo.is_subdivision_code(code)
            ):
                areas.append((area_kind, code))
            else:
                problems.add(
                    column,
                    _("%(column)s code %(value)r is not a valid ISO 3166 code")
                    % {"column": column, "value": code},
                    _("Use ISO 3166 codes separated by |, e.g. DE-BY|DE-BW or AT|CH."),
                )
    if problems:
        return None, Rejected(line, key, list(problems))
    values: dict[str, Any] = {
        "sending_state": sending_state,
        "kind": kind,
        "name": name,
        "host_country": host,
        "city": text("city"),
        "postal_address": text("postal_address").replace("\\n", "\n"),
        "postcode": text("postcode"),
        "latitude": latitude,
        "longitude": longitude,
        "email": email,
        "phone": text("phone"),
        "fax": text("fax"),
        "website": website,
        "status": status,
        "opened": opened,
        "closed": closed,
        "source": source,
        "source_date": source_date,
        "notes": text("notes"),
    }
    names = {code: text(column) for column, code in NAME_COLUMNS.items() if column in get}
    return Row(line, key, values, areas, names), None

"""Import of the mission directory (CSV and JSON); export.py writes the same formats.

Every row is validated; a row with any fault is rejected with its reasons
and the rest is imported. Rows are matched on their stable id, and a row
whose values did not change is not written again, so importing the same
file twice changes nothing and adds nothing to the audit history.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from safepassage.directory.models import PARTIAL_DATE, Mission, MissionArea
from safepassage.lib import geo
from safepassage.lib.geo import shapes
from safepassage.lib.spreadsheet import unneutralise
from safepassage.lib.writelock import database_write_lock

DATA_DIR = Path(__file__).resolve().parent / "data"

# The columns of the directory's CSV format, in order.
COLUMNS = [
    "id",
    "name",
    "kind",
    "sending_state",
    "host_country",
    "city",
    "postal_address",
    "postcode",
    "latitude",
    "longitude",
    "email",
    "phone",
    "fax",
    "website",
    "status",
    "opened",
    "closed",
    "district",
    "accreditation",
    "source_url",
    "source_date",
    "notes",
]
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


@dataclass
class Rejected:
    line: int
    key: str
    reasons: list[str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    areas_added: int = 0
    areas_removed: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected; areas: {self.areas_added} added, "
            f"{self.areas_removed} removed"
        )

    def lines(self) -> Iterator[str]:
        yield self.summary()
        for rejected in self.rejected:
            yield f"rejected line {rejected.line} ({rejected.key or 'no id'}): " + "; ".join(
                rejected.reasons
            )
        for warning in self.warnings:
            yield f"warning: {warning}"


@dataclass
class _Row:
    line: int
    key: str
    values: dict[str, Any]
    areas: list[tuple[str, str]]  # (kind, code)


def _codes(text: str) -> list[str]:
    return [code.strip().upper() for code in re.split(r"[|,;\s]+", text) if code.strip()]


def _parse_date(text: str, label: str, reasons: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        reasons.append(f"{label} {text!r} is not a date (YYYY-MM-DD)")
        return None


def _parse_coordinate(text: str, label: str, limit: float, reasons: list[str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        reasons.append(f"{label} {text!r} is not a number")
        return None
    if not -limit <= value <= limit:
        reasons.append(f"{label} {value} is out of range")
        return None
    return value


def _validate(
    line: int, raw: Mapping[str, Any], default_sending_state: str, default_source_date: str
) -> tuple[_Row | None, Rejected | None]:
    get = {ALIASES.get(str(k).strip(), str(k).strip()): v for k, v in raw.items() if k is not None}

    def text(name: str) -> str:
        value = get.get(name)
        if value is None:
            return ""
        if isinstance(value, list):
            return "|".join(str(item) for item in value)
        return unneutralise(str(value).strip())

    reasons: list[str] = []
    key = text("id")
    if not key:
        reasons.append("id is empty")
    elif not _KEY_RE.match(key):
        reasons.append(f"id {key!r} may hold only letters, digits, '.', '_' and '-'")
    for name, limit in MAX_LENGTHS.items():
        if len(text(name)) > limit:
            reasons.append(f"{name} is longer than {limit} characters")
    name = text("name")
    if not name:
        reasons.append("name is empty")
    kind = text("kind").lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in Mission.Kind.values:
        reasons.append(f"kind {kind!r} is not one of {', '.join(Mission.Kind.values)}")
    sending_state = (text("sending_state") or default_sending_state).upper()
    if sending_state not in geo.country_codes():
        reasons.append(f"sending state {sending_state!r} is not an ISO 3166-1 code")
    host = text("host_country").upper()
    if host not in geo.country_codes():
        reasons.append(f"host country {host!r} is not an ISO 3166-1 code")
    latitude = _parse_coordinate(text("latitude"), "latitude", 90, reasons)
    longitude = _parse_coordinate(text("longitude"), "longitude", 180, reasons)
    if (latitude is None) != (longitude is None) and not reasons:
        reasons.append("latitude and longitude must both be given or both be empty")
    if latitude is not None and longitude is not None and host in geo.country_codes():
        inside = shapes.country_contains(host, latitude, longitude)
        if inside is False:
            reasons.append(
                f"coordinates {latitude}, {longitude} are not inside {geo.country_name(host)}"
            )
    email = text("email").removeprefix("mailto:")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            reasons.append(f"e-mail {email!r} is not a valid address")
    website = text("website")
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            reasons.append(f"website {website!r} is not an http(s) URL")
    status = (text("status") or "open").lower()
    if status not in Mission.Status.values:
        reasons.append(f"status {status!r} is not open or closed")
    opened, closed = text("opened"), text("closed")
    for label, value in (("opened", opened), ("closed", closed)):
        if value and not PARTIAL_DATE.match(value):
            reasons.append(f"{label} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if closed and status == Mission.Status.OPEN:
        reasons.append("a mission with a closing date must have status closed")
    source = text("source_url")
    if not source:
        reasons.append("source_url is empty: every row needs its source")
    source_date = _parse_date(text("source_date") or default_source_date, "source_date", reasons)
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
                reasons.append(f"{column} code {code!r} is not a valid ISO 3166 code")
    if reasons:
        return None, Rejected(line, key, reasons)
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
    return _Row(line, key, values, areas), None


def import_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    sending_state: str = "",
    source_date: str = "",
    first_line: int = 2,
) -> ImportReport:
    """Validate and upsert missions; rows with faults are reported, not imported."""
    report = ImportReport()
    valid: list[_Row] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(rows, start=first_line):
        row, rejected = _validate(line, raw, sending_state.upper(), source_date)
        if rejected:
            report.rejected.append(rejected)
        elif row:
            if row.key in seen:
                report.rejected.append(
                    Rejected(line, row.key, [f"id repeats line {seen[row.key]}"])
                )
                continue
            seen[row.key] = line
            valid.append(row)
    with database_write_lock(), transaction.atomic():
        existing = {m.key: m for m in Mission.objects.filter(key__in=seen)}
        for row in valid:
            mission = existing.get(row.key)
            if mission is None:
                mission = Mission(key=row.key, **row.values)
                mission.save()
                report.created += 1
            elif any(getattr(mission, k) != v for k, v in row.values.items()):
                for k, v in row.values.items():
                    setattr(mission, k, v)
                mission.save()
                report.updated += 1
            else:
                report.unchanged += 1
            _sync_areas(mission, row.areas, row.values["source"], row.values["source_date"], report)
    return report


def _sync_areas(
    mission: Mission,
    wanted: Sequence[tuple[str, str]],
    source: str,
    source_date: date | None,
    report: ImportReport,
) -> None:
    # Areas listed on the mission's own row; districts imported from a separate
    # file (with their own sources) are left alone when the row lists none.
    current = {(a.kind, a.code): a for a in mission.areas.all()}
    kinds_given = {kind for kind, _ in wanted}
    for pair in dict.fromkeys(wanted):
        if pair not in current:
            MissionArea(
                mission=mission, kind=pair[0], code=pair[1], source=source, source_date=source_date
            ).save()
            report.areas_added += 1
    for pair, area in current.items():
        if pair[0] in kinds_given and pair not in wanted:
            area.delete()
            report.areas_removed += 1


def import_districts(
    rows: Iterable[Mapping[str, str]], *, first_line: int = 2, replace: bool = True
) -> ImportReport:
    """Consular districts from their own file: mission_id, code, source_url, source_date.

    With ``replace``, each mission named in the file ends up with exactly the
    districts the file lists for it.
    """
    report = ImportReport()
    wanted: dict[str, dict[str, tuple[str, date | None]]] = {}
    lines: dict[str, int] = {}
    for line, raw in enumerate(rows, start=first_line):
        key = (raw.get("mission_id") or "").strip()
        code = (raw.get("code") or "").strip().upper()
        source = (raw.get("source_url") or "").strip()
        reasons: list[str] = []
        if not key:
            reasons.append("mission_id is empty")
        if not (code in geo.country_codes() or geo.is_subdivision_code(code)):
            reasons.append(f"code {code!r} is not a valid ISO 3166 code")
        if not source:
            reasons.append("source_url is empty: every row needs its source")
        when = _parse_date((raw.get("source_date") or "").strip(), "source_date", reasons)
        if reasons:
            report.rejected.append(Rejected(line, key, reasons))
            continue
        wanted.setdefault(key, {})[code] = (source, when)
        lines.setdefault(key, line)
    with database_write_lock(), transaction.atomic():
        missions = {m.key: m for m in Mission.objects.filter(key__in=wanted)}
        for key, codes in wanted.items():
            mission = missions.get(key)
            if mission is None:
                report.rejected.append(Rejected(lines[key], key, ["no mission with this id"]))
                continue
            current = {a.code: a for a in mission.areas.filter(kind=MissionArea.Kind.DISTRICT)}
            for code, (source, when) in codes.items():
                area = current.get(code)
                if area is None:
                    MissionArea(
                        mission=mission,
                        kind=MissionArea.Kind.DISTRICT,
                        code=code,
                        source=source,
                        source_date=when,
                    ).save()
                    report.areas_added += 1
                elif (area.source, area.source_date) != (source, when):
                    area.source, area.source_date = source, when
                    area.save()
                    report.updated += 1
                else:
                    report.unchanged += 1
            if replace:
                for code, area in current.items():
                    if code not in codes:
                        area.delete()
                        report.areas_removed += 1
    report.warnings += district_conflicts()
    return report


def district_conflicts() -> list[str]:
    """Codes claimed by the districts of more than one open mission of the same state."""
    claims: dict[tuple[str, str], list[str]] = {}
    areas = MissionArea.objects.filter(
        kind=MissionArea.Kind.DISTRICT, mission__status=Mission.Status.OPEN
    ).values_list("mission__sending_state", "code", "mission__key")
    for state, code, key in areas:
        claims.setdefault((state, code), []).append(key)
    return [
        f"{code} is in the districts of several open missions of {state}: {', '.join(sorted(keys))}"
        for (state, code), keys in sorted(claims.items())
        if len(keys) > 1
    ]


# --- Reading files -------------------------------------------------------------


def read_csv(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.lstrip("\ufeff"))))


def read_json(data: str) -> list[dict[str, Any]]:
    document = json.loads(data)
    missions = document.get("missions") if isinstance(document, dict) else document
    if not isinstance(missions, list) or not all(isinstance(m, dict) for m in missions):
        raise ValueError("expected a list of missions or an object with a 'missions' list")
    return missions


def import_file(path: Path, **options: Any) -> ImportReport:
    data = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return import_rows(read_json(data), first_line=1, **options)
    return import_rows(read_csv(data), **options)

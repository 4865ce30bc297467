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
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from safepassage.directory import wikidata
from safepassage.directory.importreport import ImportReport, Problem, Rejected
from safepassage.directory.models import Mission, MissionArea, MissionName
from safepassage.directory.validation import Problems, Row, columns_of, parse_date, validate_row
from safepassage.lib import geo
from safepassage.lib.writelock import database_write_lock

__all__ = ["COLUMNS", "DATA_DIR", "ImportReport", "Problem", "Rejected"]

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


# A row may say why it is left out on purpose (wikidata.py: honorary consulates).
SKIP = "_skip"


def _skip_reason(raw: Mapping[str, Any], only_state: str) -> tuple[str, str]:
    """("state", code) for a row of another sending state, ("other", why), or ("", "")."""
    if raw.get(SKIP):
        return "other", str(raw[SKIP])
    if only_state:
        state = str(columns_of(raw).get("sending_state") or "").strip().upper()
        if state and state != only_state and state in geo.country_codes():
            return "state", state
    return "", ""


def import_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    sending_state: str = "",
    source_date: str = "",
    first_line: int = 2,
) -> ImportReport:
    """Validate and upsert missions; rows with faults are reported, not imported.

    With ``sending_state``, rows that name another sending state are skipped
    (and counted as such); rows without one are that state's.
    """
    report = ImportReport()
    valid: list[Row] = []
    seen: dict[str, int] = {}
    only_state = sending_state.upper()
    for line, raw in enumerate(rows, start=first_line):
        why, detail = _skip_reason(raw, only_state)
        if why == "state":
            report.skipped_states[detail] += 1
            continue
        if why:
            report.skipped_other[detail] += 1
            continue
        row, rejected = validate_row(line, raw, only_state, source_date)
        if rejected:
            report.rejected.append(rejected)
        elif row:
            if row.key in seen:
                report.rejected.append(
                    Rejected(
                        line,
                        row.key,
                        [
                            Problem(
                                "id",
                                _("id repeats line %(line)d") % {"line": seen[row.key]},
                                _("Give each mission its own id, or remove the repeated row."),
                            )
                        ],
                    )
                )
                continue
            seen[row.key] = line
            valid.append(row)
    with database_write_lock(), transaction.atomic():
        existing = {m.key: m for m in Mission.objects.filter(key__in=seen)}
        areas = _areas_of(existing.values())
        named: list[tuple[Mission, dict[str, str]]] = []
        adding: list[MissionArea] = []
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
            _sync_areas(
                mission,
                areas.get(mission.pk, {}),
                row.areas,
                row.values["source"],
                row.values["source_date"],
                report,
                adding,
            )
            named.append((mission, row.names))
        bulk_create_with_history(adding, MissionArea)
        _sync_names(named, existing.values())
    return report


def _sync_names(named: Sequence[tuple[Mission, dict[str, str]]], known: Iterable[Mission]) -> None:
    """The missions' names in other languages as the file gives them (name_<language>).

    A handful of statements for the whole file, whatever its size. Only names that
    change are written, and the missions whose names changed get a new ``updated_at``,
    which the lists' caches follow (bulk writes send no signal to do it).
    """
    current = {
        (name.mission_id, name.language): name
        for name in MissionName.objects.filter(mission__in=[mission.pk for mission in known])
    }
    new: list[MissionName] = []
    changed: list[MissionName] = []
    gone: list[int] = []
    touched: set[int] = set()
    for mission, names in named:
        for language, text in names.items():
            have = current.get((mission.pk, language))
            if text and have is None:
                new.append(MissionName(mission=mission, language=language, name=text))
            elif text and have is not None and have.name != text:
                have.name = text
                changed.append(have)
            elif not text and have is not None:
                gone.append(have.pk)
            else:
                continue
            touched.add(mission.pk)
    MissionName.objects.bulk_create(new)
    MissionName.objects.bulk_update(changed, ["name"])
    MissionName.objects.filter(pk__in=gone).delete()
    Mission.objects.filter(pk__in=touched).update(updated_at=timezone.now())


def _areas_of(
    missions: Iterable[Mission], kind: str = ""
) -> dict[int, dict[tuple[str, str], MissionArea]]:
    """{mission pk: {(kind, code): area}} of these missions, in one query."""
    areas = MissionArea.objects.filter(mission__in=[mission.pk for mission in missions])
    found: dict[int, dict[tuple[str, str], MissionArea]] = {}
    for area in areas.filter(kind=kind) if kind else areas:
        found.setdefault(area.mission_id, {})[(area.kind, area.code)] = area
    return found


def _sync_areas(
    mission: Mission,
    current: dict[tuple[str, str], MissionArea],
    wanted: Sequence[tuple[str, str]],
    source: str,
    source_date: date | None,
    report: ImportReport,
    adding: list[MissionArea],
) -> None:
    # Areas listed on the mission's own row; districts imported from a separate
    # file (with their own sources) are left alone when the row lists none. New
    # ones go to ``adding``, written in one statement (with their history) for the file.
    kinds_given = {kind for kind, _ in wanted}
    for pair in dict.fromkeys(wanted):
        if pair not in current:
            adding.append(
                MissionArea(
                    mission=mission,
                    kind=pair[0],
                    code=pair[1],
                    source=source,
                    source_date=source_date,
                )
            )
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
        problems = Problems()
        if not key:
            problems.add(
                "mission_id", _("mission_id is empty"), _("Give the id of the mission's row.")
            )
        if not (code in geo.country_codes() or geo.is_subdivision_code(code)):
            problems.add(
                "code",
                _("code %(value)r is not a valid ISO 3166 code") % {"value": code},
                _("Use an ISO 3166-2 code such as DE-BY, or a country code such as AT."),
            )
        if not source:
            problems.add(
                "source_url",
                _("source_url is empty: every row needs its source"),
                _("Give the address (URL) or the document the row's data comes from."),
            )
        when = parse_date((raw.get("source_date") or "").strip(), "source_date", problems)
        if problems:
            report.rejected.append(Rejected(line, key, list(problems)))
            continue
        wanted.setdefault(key, {})[code] = (source, when)
        lines.setdefault(key, line)
    with database_write_lock(), transaction.atomic():
        missions = {m.key: m for m in Mission.objects.filter(key__in=wanted)}
        districts = _areas_of(missions.values(), MissionArea.Kind.DISTRICT)
        adding: list[MissionArea] = []
        for key, codes in wanted.items():
            mission = missions.get(key)
            if mission is None:
                report.rejected.append(
                    Rejected(
                        lines[key],
                        key,
                        [
                            Problem(
                                "mission_id",
                                _("no mission with this id"),
                                _("Import the missions first, or correct the id."),
                            )
                        ],
                    )
                )
                continue
            current = {code: area for (_, code), area in districts.get(mission.pk, {}).items()}
            for code, (source, when) in codes.items():
                area = current.get(code)
                if area is None:
                    adding.append(
                        MissionArea(
                            mission=mission,
                            kind=MissionArea.Kind.DISTRICT,
                            code=code,
                            source=source,
                            source_date=when,
                        )
                    )
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
        bulk_create_with_history(adding, MissionArea)
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


def _delimiter(header: str) -> str:
    """The separator of a CSV file, from its header: comma, semicolon or tab."""
    return max((",", ";", "\t"), key=header.count)


def read_csv(data: str) -> list[dict[str, str]]:
    data = data.lstrip("\ufeff")
    header = data.split("\n", 1)[0]
    return list(csv.DictReader(io.StringIO(data), delimiter=_delimiter(header)))


def read_json(data: str) -> list[dict[str, Any]]:
    document = json.loads(data)
    missions = document.get("missions") if isinstance(document, dict) else document
    if not isinstance(missions, list) or not all(isinstance(m, dict) for m in missions):
        raise ValueError(_("expected a list of missions or an object with a 'missions' list"))
    return missions


def read_missions(name: str, data: str, sending_state: str = "") -> tuple[list[Any], int]:
    """The rows of a missions file in any format we read, and the line of the first row.

    JSON (our export), CSV with comma, semicolon or tab (our export, or a
    spreadsheet's), and the Wikidata extraction the bundled world file comes
    from, which lists every state's missions and so needs ``sending_state``.
    """
    data = data.lstrip("\ufeff")
    if name.lower().endswith(".json") or data.lstrip()[:1] in ("{", "["):
        return read_json(data), 1
    header = data.split("\n", 1)[0]
    if wikidata.is_wikidata_header(header.strip().split(";")):
        if not sending_state:
            raise ValueError(
                _(
                    "this file lists the missions of every state (the Wikidata extraction the "
                    "bundled world directory comes from): choose the sending state to import"
                )
            )
        return list(wikidata.rows(sending_state, text=data, keep_places=True)), 2
    return read_csv(data), 2


def import_text(name: str, data: str, *, sending_state: str = "") -> ImportReport:
    rows, first_line = read_missions(name, data, sending_state)
    return import_rows(rows, sending_state=sending_state, first_line=first_line)


def import_file(path: Path, *, sending_state: str = "") -> ImportReport:
    return import_text(path.name, path.read_text(encoding="utf-8"), sending_state=sending_state)

"""Export of the mission directory, in the CSV and JSON formats transfer.py imports.

Importing an export gives back the same missions and areas. Cells that a spreadsheet
would run as a formula are neutralised (lib/spreadsheet.py); the import
undoes it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from safepassage.directory.models import Mission, MissionArea
from safepassage.directory.transfer import COLUMNS
from safepassage.directory.validation import NAME_COLUMNS
from safepassage.lib.spreadsheet import neutralise


def mission_record(mission: Mission) -> dict[str, Any]:
    areas = list(mission.areas.all())
    names = {name.language: name.name for name in mission.names.all()}
    return {
        "id": mission.key,
        "name": mission.name,
        "kind": mission.kind,
        "sending_state": mission.sending_state,
        "host_country": mission.host_country,
        "city": mission.city,
        "postal_address": mission.postal_address,
        "postcode": mission.postcode,
        "latitude": mission.latitude,
        "longitude": mission.longitude,
        "email": mission.email,
        "phone": mission.phone,
        "fax": mission.fax,
        "website": mission.website,
        "status": mission.status,
        "opened": mission.opened,
        "closed": mission.closed,
        "district": sorted(a.code for a in areas if a.kind == MissionArea.Kind.DISTRICT),
        "accreditation": sorted(a.code for a in areas if a.kind == MissionArea.Kind.ACCREDITATION),
        "source_url": mission.source,
        "source_date": mission.source_date.isoformat() if mission.source_date else "",
        "notes": mission.notes,
        **{column: names.get(code, "") for column, code in NAME_COLUMNS.items()},
    }


def export_csv(missions: Iterable[Mission], out: io.TextIOBase | Any) -> int:
    writer = csv.writer(out, lineterminator="\n")
    columns = [*COLUMNS, *NAME_COLUMNS]
    writer.writerow(columns)
    count = 0
    for mission in missions:
        record = mission_record(mission)
        cells = []
        for column in columns:
            value = record[column]
            if isinstance(value, list):
                value = "|".join(value)
            cells.append(neutralise("" if value is None else str(value)))
        writer.writerow(cells)
        count += 1
    return count


def export_json(missions: Iterable[Mission]) -> str:
    document = {
        "format": "safepassage-missions",
        "version": 1,
        "missions": [mission_record(m) for m in missions],
    }
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def export_queryset(sending_state: str = "") -> Any:
    missions = Mission.objects.prefetch_related("areas", "names").order_by("sending_state", "key")
    return missions.filter(sending_state=sending_state) if sending_state else missions

"""Accepted corrections, exported in the bundled directory file's format (issue 24).

The team's verified corrections (``verification.decide``) are how the bundled
directory (data/prc-missions.csv) improves every year: an organiser exports
them, and the file goes upstream to the project, where it is reviewed and
merged into the bundled data (docs/directory.md, "Sharing corrections back").

One row per mission with at least one accepted value that still holds (not
changed since in the admin or by an import) and was verified on or after
``since``. The row is the mission's whole current record, in the columns of
the bundled file, so it replaces the bundled row as it is and re-imports
through ``transfer.import_rows`` without a fault:

- ``source_url``: the mission's sources, then the source URL of each
  correction;
- ``source_date``: the newest date among them;
- ``notes``: the mission's notes, then per corrected column where its value
  comes from and when it was verified ("postal_address: seen in person on
  2026-11-02; verified 2026-11-05"). The two fields the bundled format has no
  column for (opening hours for deliveries, accessibility notes) travel here.

Never in the file: who proposed a value, who verified it, the photos, or the
proposals' numbers and comments. Photo evidence is written as "photo taken
in person". The notes are in English, like the bundled data they join.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from safepassage.directory import export, transfer
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Field, MissionFieldVerification, Proposal
from safepassage.directory.validation import NAME_COLUMNS
from safepassage.directory.verification import FieldProvenance, provenance
from safepassage.lib.spreadsheet import neutralise

# The header of the bundled data/prc-missions.csv: the import columns without
# ``district`` (districts have their own file, data/prc-districts.csv), then the
# mission's name in each other language (name_<language>).
BUNDLED_COLUMNS = [
    *(column for column in transfer.COLUMNS if column != "district"),
    *NAME_COLUMNS,
]

# Where an accepted field lands in the bundled format.
COLUMN_OF = {
    Field.POSTAL_ADDRESS: "postal_address",
    Field.POSTCODE: "postcode",
    Field.COORDINATES: "latitude/longitude",
    Field.PHONE: "phone",
    Field.EMAIL: "email",
    Field.WEBSITE: "website",
    Field.CLOSED: "status/closed",
}
# Fields without a column: their value goes into the notes.
IN_NOTES = {
    Field.DELIVERY_HOURS: "opening hours for deliveries",
    Field.ACCESSIBILITY: "accessibility notes for a vigil",
}
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Correction:
    """A mission and its accepted values that still hold, one per field."""

    mission: Mission
    fields: list[FieldProvenance]


def corrections(sending_state: str, since: date | None = None) -> list[Correction]:
    """The missions of ``sending_state`` with corrections accepted on or after ``since``."""
    found = MissionFieldVerification.objects.filter(mission__sending_state=sending_state.upper())
    if since is not None:
        found = found.filter(verified_at__date__gte=since)
    ids = set(found.values_list("mission_id", flat=True))
    result = []
    for mission in Mission.objects.filter(pk__in=ids).prefetch_related("areas").order_by("key"):
        held = [
            row
            for row in provenance(mission)
            if row.verification is not None
            and (since is None or row.verification.verified_at.date() >= since)
        ]
        if held:
            result.append(Correction(mission, held))
    return result


def _evidence(verification: MissionFieldVerification) -> tuple[str, list[str]]:
    """The source of an accepted value in words, and its URLs; nothing about people."""
    proposal = verification.proposal
    when = verification.source_date.isoformat() if verification.source_date else ""
    if proposal is None:  # the proposal was deleted: keep the URLs of the recorded source
        urls = _URL.findall(verification.source)
        words = " ".join(urls) or "verified by the campaign's organisers"
        return (f"{words} ({when})" if when else words), urls
    if proposal.evidence == Proposal.Evidence.URL:
        return f"{proposal.source_url} ({when})", [proposal.source_url]
    if proposal.evidence == Proposal.Evidence.SEEN:
        return f"seen in person on {when}", []
    return (f"photo taken in person on {when}" if when else "photo taken in person"), []


def _note(row: FieldProvenance) -> str:
    verification = row.verification
    assert verification is not None
    words, _urls = _evidence(verification)
    verified = verification.verified_at.date().isoformat()
    field = Field(row.field)
    if field in IN_NOTES:
        return f"{IN_NOTES[field]}: {row.value} ({words}; verified {verified})"
    return f"{COLUMN_OF[field]}: {words}; verified {verified}"


def record(correction: Correction) -> dict[str, str]:
    """The mission's row in the bundled format, with the corrections' sources."""
    mission = correction.mission
    base = export.mission_record(mission)
    sources = mission.source.split()
    dates = [mission.source_date] if mission.source_date else []
    notes = [mission.notes.strip()] if mission.notes.strip() else []
    for row in correction.fields:
        verification = row.verification
        assert verification is not None
        _words, urls = _evidence(verification)
        sources += [url for url in urls if url not in sources]
        dates.append(verification.source_date or verification.verified_at.date())
        note = _note(row)
        if note not in mission.notes:  # a file imported back does not repeat its notes
            notes.append(note)
    base.update(
        source_url=" ".join(sources),
        source_date=max(dates).isoformat(),
        notes="; ".join(notes),
    )
    cells = {}
    for column in BUNDLED_COLUMNS:
        value = base[column]
        if isinstance(value, list):
            value = "|".join(value)
        cells[column] = "" if value is None else str(value)
    return cells


def export_csv(sending_state: str, since: date | None = None) -> tuple[str, int]:
    """The CSV of the accepted corrections, and how many missions it holds."""
    found = corrections(sending_state, since)
    out = io.StringIO()
    writer = csv.writer(out)  # "\r\n", like the bundled file
    writer.writerow(BUNDLED_COLUMNS)
    for correction in found:
        cells = record(correction)
        writer.writerow([neutralise(cells[column]) for column in BUNDLED_COLUMNS])
    return out.getvalue(), len(found)

"""The remembrance list: CSV import and export, and the printable reading script.

At a vigil, readers take turns reading aloud the names of people who were
forcibly returned. The organiser keeps the list (the admin, or a CSV file);
only names marked public are ever read, printed or shown outside the
organiser's own pages. The reading script is a PDF printed by lib/pdf.py
from ``templates/events/reading_script.html``: the same data gives the same
bytes, so a script can be checked and re-made without surprises.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from safepassage.campaigns.models import Campaign
from safepassage.events.models import ReadingScript, RemembranceName
from safepassage.lib.pdf import html_to_pdf
from safepassage.lib.spreadsheet import neutralise, unneutralise

T = TypeVar("T")

MIN_READERS = 1
MAX_READERS = 50

# --- Who reads what ----------------------------------------------------------------


def split_for_readers(items: Sequence[T], readers: int) -> list[list[T]]:
    """Share ``items`` among ``readers`` as evenly as possible, keeping their order.

    Reader 1 gets the first block, reader 2 the next, and so on; the first
    ``len(items) % readers`` readers get one item more than the others
    (10 names for 3 readers: 4, 3, 3). With more readers than items the
    last readers get nothing.
    """
    if readers < 1:
        raise ValueError("there must be at least one reader")
    base, extra = divmod(len(items), readers)
    blocks: list[list[T]] = []
    start = 0
    for index in range(readers):
        size = base + (1 if index < extra else 0)
        blocks.append(list(items[start : start + size]))
        start += size
    return blocks


def public_names(campaign: Campaign) -> QuerySet[RemembranceName]:
    """The names that may be read, printed and shown: public ones, in reading order."""
    return RemembranceName.objects.filter(campaign=campaign, public=True).order_by("position", "pk")


def all_names(campaign: Campaign) -> QuerySet[RemembranceName]:
    """Every name of the campaign, for the organiser's eyes only."""
    return RemembranceName.objects.filter(campaign=campaign).order_by("position", "pk")


@dataclass(frozen=True)
class Entry:
    number: int  # 1-based, running through the whole reading
    name: str
    native_name: str
    native_lang: str  # "ko", "ja" or "" (lets the PDF pick the right CJK glyphs)
    details: str  # date and place, if known


@dataclass(frozen=True)
class ReaderPart:
    reader: int
    entries: list[Entry]

    @property
    def first(self) -> int | None:
        return self.entries[0].number if self.entries else None

    @property
    def last(self) -> int | None:
        return self.entries[-1].number if self.entries else None


_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


def script_language(text: str) -> str:
    """ "ko" for text in Hangul, "ja" for kana; "" otherwise (Han alone is ambiguous)."""
    if _HANGUL.search(text):
        return "ko"
    if _KANA.search(text):
        return "ja"
    return ""


def reading_parts(names: Iterable[RemembranceName], readers: int) -> list[ReaderPart]:
    """The reading order of ``names`` shared among ``readers``. Never filters: pass public names."""
    entries = [
        Entry(
            number=number,
            name=item.name,
            native_name=item.native_name,
            native_lang=script_language(item.native_name),
            details=", ".join(part for part in (item.date.strip(), item.place.strip()) if part),
        )
        for number, item in enumerate(names, start=1)
    ]
    return [
        ReaderPart(reader=index, entries=block)
        for index, block in enumerate(split_for_readers(entries, readers), start=1)
    ]


# --- The reading script ------------------------------------------------------------


def script_for(campaign: Campaign) -> ReadingScript:
    """The campaign's opening and closing words (an unsaved empty one if none yet)."""
    try:
        return ReadingScript.objects.get(campaign=campaign)
    except ReadingScript.DoesNotExist:
        return ReadingScript(campaign=campaign)


def reading_script_html(campaign: Campaign, readers: int) -> str:
    """The HTML that becomes the PDF. Only public names go into it."""
    if not MIN_READERS <= readers <= MAX_READERS:
        raise ValueError(f"readers must be between {MIN_READERS} and {MAX_READERS}")
    names = list(public_names(campaign))
    script = script_for(campaign)
    context = {
        "campaign": campaign,
        "script": script,
        "readers": readers,
        "parts": reading_parts(names, readers),
        "total": len(names),
    }
    return render_to_string("events/reading_script.html", context)


def reading_script_pdf(campaign: Campaign, readers: int) -> bytes:
    # Everything the script needs is inline: it fetches nothing.
    return html_to_pdf(reading_script_html(campaign, readers))


# --- CSV import and export ---------------------------------------------------------

COLUMNS = ["name", "native_name", "date", "place", "source", "public"]
MAX_LENGTHS = {"name": 200, "native_name": 200, "date": 40, "place": 200}
MAX_ROWS = 10_000
_YES = {"yes", "y", "true", "1", "x", "public", "예", "네", "はい"}
_NO = {"no", "n", "false", "0", "", "not public", "아니요", "아니오", "いいえ"}


@dataclass
class Rejected:
    line: int
    name: str
    reasons: list[str]


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    public: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "%(created)s added (%(public)s of them public), %(duplicates)s already on the list, "
            "%(rejected)s rejected"
        ) % {
            "created": self.created,
            "public": self.public,
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
        }


def parse_public(value: str) -> bool | None:
    """yes/no (and a few usual spellings) to a flag; None if it is neither. Empty is no."""
    folded = value.strip().casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    return None


def _key(name: str, native_name: str, date: str, place: str, source: str) -> tuple[str, ...]:
    return (name, native_name, date, place, source)


@dataclass
class Row:
    line: int
    cells: dict[str, str]
    overlong: bool  # more cells than the header has columns


def read_rows(text: str) -> tuple[list[str], list[Row]]:
    """The header and the rows (with their line numbers) of a CSV text.

    Comma-separated as exported; a file whose header has semicolons and no
    commas (a spreadsheet in some locales) or tabs is read with that.
    Raises ValueError if there is no header or no name column.
    """
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        if ";" in first:
            delimiter = ";"
        elif "\t" in first:
            delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().casefold() for cell in next(reader, [])]
        if "name" not in header:
            raise ValueError(_("the first line must name the columns, with at least 'name'"))
        rows: list[Row] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValueError(_("more than %(max)s rows") % {"max": MAX_ROWS})
            values = dict.fromkeys(header, "")
            values.update(zip(header, cells, strict=False))
            overlong = any(cell.strip() for cell in cells[len(header) :])
            rows.append(Row(line=reader.line_num, cells=values, overlong=overlong))
    except csv.Error as error:
        raise ValueError(
            _("line %(line)s: %(error)s") % {"line": reader.line_num, "error": error}
        ) from error
    return header, rows


@transaction.atomic
def import_names(campaign: Campaign, text: str) -> ImportReport:
    """Add the names of a CSV file to the end of the campaign's list.

    Columns: name, native_name, date, place, source, public (yes/no; empty
    is no: a name is read aloud only when someone said it may be). A row
    with a fault is not imported and is listed in the report with its
    reasons; a row equal in every text column to a name already on the
    list is counted as a duplicate and left alone (importing the same file
    twice adds nothing, and an organiser's later changes stay).
    """
    header, rows = read_rows(text)
    report = ImportReport()
    unknown = [column for column in header if column and column not in COLUMNS]
    if unknown:
        report.warnings.append(_("Columns not used: %(columns)s") % {"columns": ", ".join(unknown)})
    if "public" not in header:
        report.warnings.append(
            _("There is no 'public' column: every name was imported as not public.")
        )
    existing = {
        _key(*values)
        for values in RemembranceName.objects.filter(campaign=campaign).values_list(
            "name", "native_name", "date", "place", "source"
        )
    }
    position = (
        RemembranceName.objects.filter(campaign=campaign).aggregate(p=Max("position"))["p"] or 0
    )
    new: list[RemembranceName] = []
    for row in rows:
        values = {column: unneutralise(row.cells.get(column, "").strip()) for column in COLUMNS}
        reasons: list[str] = []
        if not values["name"]:
            reasons.append(_("the name is empty"))
        for column, limit in MAX_LENGTHS.items():
            if len(values[column]) > limit:
                reasons.append(
                    _("%(column)s is longer than %(limit)s characters")
                    % {"column": column, "limit": limit}
                )
        public = parse_public(values["public"])
        if public is None:
            reasons.append(
                _("public must be yes or no, not %(value)r") % {"value": values["public"]}
            )
        if row.overlong:
            reasons.append(_("the row has more cells than the header has columns"))
        if any("\x00" in value for value in values.values()):
            reasons.append(_("the row contains a NUL character"))
        if reasons:
            report.rejected.append(Rejected(line=row.line, name=values["name"], reasons=reasons))
            continue
        key = _key(
            values["name"], values["native_name"], values["date"], values["place"], values["source"]
        )
        if key in existing:
            report.duplicates += 1
            continue
        existing.add(key)
        position += 1
        new.append(
            RemembranceName(
                campaign=campaign,
                name=values["name"],
                native_name=values["native_name"],
                date=values["date"],
                place=values["place"],
                source=values["source"],
                public=bool(public),
                position=position,
            )
        )
        report.created += 1
        report.public += bool(public)
    RemembranceName.objects.bulk_create(new)
    return report


def export_csv(names: Iterable[RemembranceName], out: io.TextIOBase | Any) -> int:
    """Write names in the import format; formula-like cells are neutralised."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for item in names:
        cells = [item.name, item.native_name, item.date, item.place, item.source]
        writer.writerow([neutralise(cell) for cell in cells] + ["yes" if item.public else "no"])
        count += 1
    return count

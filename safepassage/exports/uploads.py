"""The uploaded list of an import: reading it, and mapping its columns to fields.

The file is a CSV from a spreadsheet or a partner's form, in UTF-8 or the
Windows code page. The mapping form shows its header and first rows with
anything that may be an e-mail address hidden (``masked``), and guesses
which column holds what. An upload is kept (encrypted) until it is
imported; leftovers older than UPLOAD_HOURS go with the next upload.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepassage.exports.models import ImportUpload

MAX_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 5
UPLOAD_HOURS = 24


# The fields a column can be mapped to, in the order the form asks for them.
FIELDS: dict[str, Any] = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("State or province"),
    "country": gettext_lazy("Country"),
    "email": gettext_lazy("E-mail (optional)"),
    "contact": gettext_lazy("Contact choice (optional)"),
    "publish_name": gettext_lazy("Name may be handed over (optional)"),
    "count_only": gettext_lazy("Count only, do not name (optional)"),
    "collected_by": gettext_lazy("Collected by (optional)"),
    "sheet": gettext_lazy("Sheet or page (optional)"),
}
REQUIRED = ("first_name", "last_name", "city", "region", "country")

# Header words that suggest a column, for the mapping form's first guess.
_HINTS = {
    "first_name": ("first", "given", "vorname", "prénom", "prenom", "nombre"),
    "last_name": ("last", "surname", "family", "nachname", "nom", "apellido"),
    "city": ("city", "town", "stadt", "ville", "ciudad"),
    "region": ("region", "state", "province", "bundesland"),
    "country": ("country", "land", "pays", "país", "pais"),
    "email": ("mail",),
    "contact": ("contact", "updates", "newsletter"),
    "publish_name": ("publish", "hand", "name ok", "public"),
    "count_only": ("count only", "do not name", "anonym", "nur zählen"),
    "collected_by": ("collected", "collector", "gesammelt", "recueilli", "partner"),
    "sheet": ("sheet", "page", "blatt", "seite", "feuille", "hoja"),
}


class UnreadableFile(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise UnreadableFile(_("The file is larger than 10 MB; split it into several files."))
    if b"\x00" in data[:4096]:
        raise UnreadableFile(_("This is not a CSV file (save it as CSV, UTF-8)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs on Windows still save "CSV" in this code page.
        return data.decode("cp1252", errors="replace")


def read_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a CSV file (comma, semicolon or tab separated)."""
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise UnreadableFile(_("The file is empty.")) from None
    except csv.Error as error:
        raise UnreadableFile(_("The file is not a readable CSV file.")) from error
    if not any(header):
        raise UnreadableFile(_("The first line must name the columns."))
    try:
        rows = [row for row in reader]
    except csv.Error as error:
        raise UnreadableFile(_("The file is not a readable CSV file.")) from error
    return header, rows


def guess_mapping(header: Sequence[str]) -> dict[str, int | None]:
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    taken: set[int] = set()
    for name, hints in _HINTS.items():
        for index, title in enumerate(header):
            folded = title.casefold().replace("_", " ")
            if index not in taken and any(hint in folded for hint in hints):
                mapping[name] = index
                taken.add(index)
                break
    return mapping


def masked(cell: str) -> str:
    """A preview cell: anything that may be an address is not shown."""
    return _("(e-mail address hidden)") if "@" in cell else cell


def purge_stale_uploads() -> None:
    """Delete the uploads older than UPLOAD_HOURS: never imported, they may hold addresses."""
    ImportUpload.objects.filter(
        created_at__lt=timezone.now() - timedelta(hours=UPLOAD_HOURS)
    ).delete()


def iter_preview(rows: Sequence[Sequence[str]]) -> Iterator[list[str]]:
    for row in rows[:PREVIEW_ROWS]:
        yield [masked(cell) for cell in row]

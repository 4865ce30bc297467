"""Import of signatures and people that another tool exported in OSDI JSON (Action Network, ...).

What is read: a page of ``osdi:signatures`` (each with its person embedded
as ``osdi:person``, or ``person`` as the record-signature helper writes it),
a page of ``osdi:people``, a list of such pages, or a bare list of either.
Of each person: ``given_name``, ``family_name``, the primary (else the
first) postal address's ``locality``, ``region`` and ``country``, and the
primary (else the first) e-mail address with its ``status``.

Each person becomes one row of an online list and goes through the very
import that typed-up and partners' lists go through (``importer``): the
same validation, the same keyed hash of the address, so a person who
already signed the petition, appears twice in the file or withdrew before
is reported as a duplicate and not added again; a re-import adds nothing.
The signatures are recorded as coming from another online list
(``channel="import"``) with the source ``OSDI: <what the organiser named>``.

Consent, read conservatively:

- the address is kept (encrypted) and the signer counts as having chosen
  "send me updates about this campaign" only when the source says the
  address is ``subscribed``; every other status (unsubscribed, bouncing,
  spam complaint, none) makes a "only count my signature" row whose
  address is used for the duplicate check and then forgotten;
- a ``custom_fields.safepassage_consent`` of ``contact`` (what this
  application's own OSDI API writes) may widen that to "let the coalition
  contact me", again only for a subscribed address;
- names are not handed to the missions unless the organiser says the
  source's signers agreed to that (``hand_over_names``): by default every
  imported signature is count-only.

Rows without an address, a city or a country are rejected with their
record number and reasons, never with an address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safepassage.campaigns.models import Petition
from safepassage.exports.importer import FileChoices, ImportReport, check, run_import
from safepassage.exports.models import ExportLog
from safepassage.exports.uploads import FIELDS

SOURCE_PREFIX = "OSDI: "
MAX_BYTES = 20 * 1024 * 1024
COLUMNS = ("first_name", "last_name", "city", "region", "country", "email", "contact")
MAPPING: dict[str, int | None] = {
    name: (COLUMNS.index(name) if name in COLUMNS else None) for name in FIELDS
}
# An import report numbers the records of an OSDI file from 1 (importer.check).
FIRST_RECORD = 1


EMPTY = _lazy("The file holds no signature and no person.")


class UnreadableOsdi(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first(entries: Any) -> dict[str, Any]:
    """The primary entry of an OSDI array (``primary: true``), else its first."""
    if not isinstance(entries, list):
        return {}
    objects = [entry for entry in entries if isinstance(entry, dict)]
    return next((e for e in objects if e.get("primary") is True), objects[0] if objects else {})


def _person_of(item: dict[str, Any]) -> dict[str, Any]:
    embedded = item.get("_embedded")
    if isinstance(embedded, dict):
        for key in ("osdi:person", "person"):
            if isinstance(embedded.get(key), dict):
                return dict(embedded[key])
    if isinstance(item.get("person"), dict):
        return dict(item["person"])
    # Already a person (a page of osdi:people).
    return item if "given_name" in item or "email_addresses" in item else {}


COLLECTIONS = ("osdi:signatures", "osdi:people", "signatures", "people")


def _collection(document: dict[str, Any]) -> list[Any] | None:
    embedded = document.get("_embedded")
    if isinstance(embedded, dict):
        for key in COLLECTIONS:
            if isinstance(embedded.get(key), list):
                return list(embedded[key])
    return None


def _items(document: Any) -> Iterator[dict[str, Any]]:
    """The signatures or people of a page, of a list of pages, or of a bare list."""
    if isinstance(document, list):
        for entry in document:
            if not isinstance(entry, dict):
                continue
            inner = _collection(entry)
            if inner is None:
                yield entry
            else:
                yield from (item for item in inner if isinstance(item, dict))
        return
    inner = _collection(document) if isinstance(document, dict) else None
    if inner is None:
        raise UnreadableOsdi(
            _("The file is not OSDI JSON: no _embedded osdi:signatures or osdi:people.")
        )
    yield from (item for item in inner if isinstance(item, dict))


def consent(person: dict[str, Any], email: dict[str, Any]) -> str:
    """The contact choice a person's record allows (module docstring)."""
    if _text(email.get("address")) == "" or _text(email.get("status")).lower() != "subscribed":
        return "count"
    custom = person.get("custom_fields")
    if isinstance(custom, dict) and custom.get("safepassage_consent") == "contact":
        return "contact"
    return "updates"


def person_row(person: dict[str, Any]) -> list[str]:
    """One person as the cells of an online list, in the order of ``COLUMNS``."""
    place = _first(person.get("postal_addresses"))
    email = _first(person.get("email_addresses"))
    return [
        _text(person.get("given_name")),
        _text(person.get("family_name")),
        _text(place.get("locality")),
        _text(place.get("region")),
        _text(place.get("country")),
        _text(email.get("address")),
        consent(person, email),
    ]


def parse(data: bytes | str) -> list[list[str]]:
    """The rows of an OSDI document, one per signature or person."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise UnreadableOsdi(_("The file is larger than 20 MB."))
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnreadableOsdi(_("The file is not UTF-8 text.")) from error
    try:
        document = json.loads(data)
    except ValueError as error:
        raise UnreadableOsdi(_("The file is not JSON.")) from error
    return [person_row(_person_of(item)) for item in _items(document)]


def choices(source: str, hand_over_names: bool = False) -> FileChoices:
    return FileChoices(
        source=(SOURCE_PREFIX + source.strip())[:200], paper=False, count_only=not hand_over_names
    )


def import_osdi(
    petition: Petition,
    rows: list[list[str]],
    source: str,
    user: Any,
    *,
    language: str = "en",
    hand_over_names: bool = False,
    commit: bool = True,
) -> ImportReport:
    """Check (``commit=False``) or import the rows, recording the import in the export log."""
    chosen = choices(source, hand_over_names)
    if not commit:
        return check(petition, rows, MAPPING, language, chosen, FIRST_RECORD)[1]
    report = run_import(petition, rows, MAPPING, chosen, user, language, FIRST_RECORD)
    ExportLog.objects.create(
        campaign=petition.campaign,
        user=user,
        kind=ExportLog.Kind.IMPORT,
        format=ExportLog.Format.JSON,
        rows=report.created,
        note=chosen.source[:300],
    )
    return report

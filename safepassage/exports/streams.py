"""The exports: what each holds, who may take it, and how it is streamed.

Rows are read in primary-key order, a batch at a time (keyset pagination on
``values_list``), and written out as they are read, so an export of a
million signatures needs the memory of one batch, holds no transaction open
between batches and behaves the same on SQLite and PostgreSQL.

Who may take what (brief, section 3): organisers take every export of their
campaign. Coordinators take only the events and the deliveries in their
scope (the same ``rsvp_events_for`` and ``deliveries_for`` the event and
delivery pages use), because they already see those rows on the site.
Signatures, contacts and paper tallies are for organisers only, and the
contacts export is the only place an e-mail address ever leaves the
database. Every export, by anyone, writes an ExportLog row first.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign
from safepassage.deliveries.permissions import deliveries_for
from safepassage.events.permissions import rsvp_events_for
from safepassage.exports.models import ExportLog
from safepassage.lib import crypto
from safepassage.lib.spreadsheet import neutralise
from safepassage.signatures.models import PaperTally, Signature

BATCH_SIZE = 2000
# Rows per chunk handed to the web server: fewer, larger writes than one per row.
ROWS_PER_CHUNK = 500

Row = Sequence[Any]


@dataclass(frozen=True)
class Export:
    kind: str
    title: Promise
    description: Promise
    columns: tuple[str, ...]
    fields: tuple[str, ...]
    # The rows the user may take (organiser_only exports are refused to others first).
    queryset: Callable[[Any, Campaign], QuerySet[Any]]
    organiser_only: bool = True
    convert: Callable[[Row], Row] | None = None


def _signatures(user: Any, campaign: Campaign) -> QuerySet[Signature]:
    return Signature.objects.counted().filter(petition__campaign=campaign)


def _contacts(user: Any, campaign: Campaign) -> QuerySet[Signature]:
    return (
        _signatures(user, campaign)
        .filter(contact__in=[Signature.Contact.UPDATES, Signature.Contact.CONTACT])
        .exclude(email_encrypted="")
    )


def _decrypt_email(row: Row) -> Row:
    first, last, encrypted, *rest = row
    return (first, last, crypto.decrypt(encrypted), *rest)


def _paper(user: Any, campaign: Campaign) -> QuerySet[PaperTally]:
    return PaperTally.objects.filter(petition__campaign=campaign)


def _events(user: Any, campaign: Campaign) -> QuerySet[Any]:
    confirmed = Q(rsvps__status="confirmed")
    return rsvp_events_for(user, campaign).annotate(
        confirmed_rsvps=Count("rsvps", filter=confirmed),
        confirmed_people=Sum("rsvps__people", filter=confirmed, default=0),
    )


def _deliveries(user: Any, campaign: Campaign) -> QuerySet[Any]:
    return deliveries_for(user, campaign)


EXPORTS: dict[str, Export] = {
    export.kind: export
    for export in (
        Export(
            kind=ExportLog.Kind.SIGNATURES,
            title=_("Signatures"),
            description=_(
                "Counted signatures (confirmed, not held for review), without e-mail addresses."
            ),
            columns=(
                "petition",
                "first_name",
                "last_name",
                "city",
                "region",
                "country",
                "mission",
                "confirmed_at",
                "publish_name",
                "source",
                "channel",
                "collected_by",
                "sheet",
            ),
            fields=(
                "petition__slug",
                "first_name",
                "last_name",
                "city",
                "region",
                "country",
                "route__mission__name",
                "confirmed_at",
                "publish_name",
                "source",
                "channel",
                "collected_by",
                "sheet",
            ),
            queryset=_signatures,
        ),
        Export(
            kind=ExportLog.Kind.CONTACTS,
            title=_("Contacts"),
            description=_(
                "Signers who asked for updates or agreed to be contacted, with their e-mail "
                "addresses. Every download is recorded in the export log."
            ),
            columns=("first_name", "last_name", "email", "contact", "language", "petition"),
            fields=(
                "first_name",
                "last_name",
                "email_encrypted",
                "contact",
                "language",
                "petition__slug",
            ),
            queryset=_contacts,
            convert=_decrypt_email,
        ),
        Export(
            kind=ExportLog.Kind.PAPER,
            title=_("Earlier paper tallies"),
            description=_(
                "Paper lists imported before paper signatures kept their names: counts by "
                "place, without names. Paper signatures imported since are in the signatures."
            ),
            columns=("petition", "source", "country", "region", "city", "count", "imported_at"),
            fields=("petition__slug", "source", "country", "region", "city", "count", "created_at"),
            queryset=_paper,
        ),
        Export(
            kind=ExportLog.Kind.EVENTS,
            title=_("Events"),
            description=_("Events with their public details and confirmed RSVP counts."),
            columns=(
                "id",
                "title",
                "kind",
                "status",
                "visibility",
                "starts_at",
                "ends_at",
                "time_zone",
                "venue",
                "city",
                "country",
                "mission",
                "host",
                "public_contact",
                "capacity",
                "confirmed_rsvps",
                "confirmed_people",
            ),
            fields=(
                "uuid",
                "title",
                "kind",
                "status",
                "visibility",
                "starts_at",
                "ends_at",
                "time_zone",
                "venue",
                "city",
                "country",
                "mission__name",
                "host__name",
                "contact",
                "capacity",
                "confirmed_rsvps",
                "confirmed_people",
            ),
            queryset=_events,
            organiser_only=False,
        ),
        Export(
            kind=ExportLog.Kind.DELIVERIES,
            title=_("Deliveries"),
            description=_("The delivery to each mission: status, when, to whom, which packet."),
            columns=(
                "mission",
                "city",
                "country",
                "status",
                "delivered_at",
                "received_by",
                "packet_sha256",
            ),
            fields=(
                "mission__name",
                "mission__city",
                "mission__host_country",
                "status",
                "delivered_at",
                "received_by",
                "packet_sha256",
            ),
            queryset=_deliveries,
            organiser_only=False,
        ),
    )
}


def available(organiser: bool) -> list[Export]:
    return [export for export in EXPORTS.values() if organiser or not export.organiser_only]


def keyset_rows(
    queryset: QuerySet[Any], fields: Sequence[str], batch_size: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """``values_list`` rows in primary-key order, one batch in memory at a time."""
    batch_size = batch_size or BATCH_SIZE
    last: Any = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page.values_list("pk", *fields)[:batch_size])
        if not batch:
            return
        for row in batch:
            yield row[1:]
        last = batch[-1][0]
        if len(batch) < batch_size:
            return


def _plain(value: Any) -> Any:
    """A JSON value: times as ISO 8601 in UTC, other scalars as they are."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _cell(value: Any) -> str:
    """A CSV cell: never runs as a formula (invariant 6)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    plain = _plain(value)
    return neutralise(plain if isinstance(plain, str) else str(plain))


class _Line:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte-order mark tells spreadsheet programs the file is UTF-8 (names in Hangul, ...).
    chunk: list[str] = ["\ufeff", writer.writerow(columns)]
    for row in rows:
        chunk.append(writer.writerow([_cell(value) for value in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def json_chunks(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    chunk: list[str] = ["["]
    separator = "\n"
    for row in rows:
        item = {column: _plain(value) for column, value in zip(columns, row, strict=True)}
        chunk.append(separator + json.dumps(item, ensure_ascii=False))
        separator = ",\n"
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    chunk.append("\n]\n")
    yield "".join(chunk)


def start(export: Export, user: Any, campaign: Campaign, fmt: str) -> Iterator[str]:
    """Write the audit row, then return the export's chunks (generated lazily)."""
    queryset = export.queryset(user, campaign)
    log = ExportLog.objects.create(
        campaign=campaign, user=user, kind=export.kind, format=fmt, rows=queryset.count()
    )
    return _finish_after(_chunks(export, queryset, fmt), log)


def _chunks(export: Export, queryset: QuerySet[Any], fmt: str) -> Iterator[str]:
    rows: Iterable[Row] = keyset_rows(queryset, export.fields)
    convert = export.convert
    if convert is not None:
        rows = map(convert, rows)
    if fmt == ExportLog.Format.JSON:
        return json_chunks(export.columns, rows)
    return csv_chunks(export.columns, rows)


def _finish_after(chunks: Iterator[str], log: Model) -> Iterator[str]:
    yield from chunks
    ExportLog.objects.filter(pk=log.pk).update(finished_at=timezone.now())

"""What a packet build reads: the signatures of its snapshot, counted and listed.

When a build starts, ``take`` writes its snapshot as ``PacketEntry`` rows: every
counted signature of the petition with the mission it is routed to then. A
packet reads its signatures through those rows, never through the live
routes (``directory.SignatureRoute``), so every packet of the build, built now or after a
crash tomorrow, reads the same rows even if signatures are re-routed or a
mission closes meanwhile. What a row may print is still read at build time:
a signature erased, invalidated or whose name was withheld since is left
out or only counted at once, and its packet is marked out of date.

Only the columns a list prints are ever selected: the e-mail hash, the
encrypted address and the IP hash never leave the database for a packet,
so no mistake further down can print them. A mission's list is counted and
read in one query (``listing``); the name, city and region of a signer who
asked not to be named, or whose name was withheld, come back empty from it.

Rows are read with ``values_list(...).iterator()`` one country at a time and
sorted in Python, because the order is by the *localised* country and region
names (which the database cannot sort by); the memory needed is that of the
largest country in one packet, never the whole petition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When

from safepassage.directory.models import Mission
from safepassage.lib import geo
from safepassage.packets.models import Packet, PacketBuild, PacketEntry
from safepassage.signatures.models import Signature

if TYPE_CHECKING:
    from datetime import datetime

    from safepassage.campaigns.models import Campaign
    from safepassage.packets.listpdf import ListRow

CHUNK_SIZE = 5000

# The only signature columns a packet list ever reads.
LIST_COLUMNS = ("id", "first_name", "last_name", "city", "region", "country")

# Moderation's "still counted, but never printed" flag.
NAMED = Q(publish_name=True, name_withheld=False)
UNNAMED = Q(publish_name=False, name_withheld=False)
WITHHELD = Q(name_withheld=True)


@dataclass(frozen=True)
class Counts:
    """How many signatures a list stands for, by how they may be printed."""

    named: int = 0
    unnamed: int = 0
    withheld: int = 0

    @property
    def total(self) -> int:
        return self.named + self.unnamed + self.withheld


def packet_missions(campaign: Campaign) -> QuerySet[Mission]:
    """Every open mission of the target government: each one gets a packet."""
    return Mission.objects.of(campaign.target_government).open()


def counted_until(petition_id: int, max_id: int, at: datetime) -> QuerySet[Signature]:
    """The petition's counted signatures confirmed by ``at`` with ids up to ``max_id``."""
    return Signature.objects.counted().filter(
        petition_id=petition_id, confirmed_at__lte=at, id__lte=max_id
    )


def take(build: PacketBuild, rows: QuerySet[Signature]) -> int:
    """Write ``rows`` with their current missions into the build's snapshot; how many.

    One ``INSERT … SELECT`` in the database: a million signatures never pass
    through Python.
    """
    routed = rows.order_by().annotate(routed_to=F("route__mission_id"))
    select, params = routed.values_list("id", "routed_to").query.sql_with_params()
    table = connection.ops.quote_name(PacketEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (build_id, signature_id, mission_id) "  # noqa: S608
            f"SELECT %s, picked.id, picked.routed_to FROM ({select}) picked",
            [build.pk, *params],
        )
        taken = max(int(cursor.rowcount), 0)
        if connection.vendor == "postgresql":
            # The planner still sees the table as it was before these rows (a
            # first build: empty) and would join every mission's entries to the
            # signatures by scanning them all; a sample of the table now, inside
            # this transaction, counts the new rows too.
            cursor.execute(f"ANALYZE {table}")
        return taken


def signatures(build: PacketBuild) -> QuerySet[Signature]:
    """The build's snapshot, less what was erased or invalidated since."""
    return Signature.objects.counted().filter(packet_entries__build_id=build.pk)


def mission_signatures(build: PacketBuild, mission: Mission) -> QuerySet[Signature]:
    """The signatures routed to ``mission`` in the build's snapshot.

    One ``filter`` call, so that build and mission are conditions on the
    same snapshot row of a signature.
    """
    return Signature.objects.counted().filter(
        packet_entries__build_id=build.pk, packet_entries__mission_id=mission.pk
    )


def petition_total(build: PacketBuild, mission: Mission) -> int:
    """The petition's total printed in this mission's packet, counted at its snapshot."""
    total = (
        Packet.objects.filter(build_id=build.pk, mission_id=mission.pk)
        .values_list("petition_total", flat=True)
        .first()
    )
    return build.signature_total if total is None else total


def count(rows: QuerySet[Signature]) -> Counts:
    """Named, unnamed and withheld counts in one query."""
    totals = rows.aggregate(
        named=Count("id", filter=NAMED),
        unnamed=Count("id", filter=UNNAMED),
        withheld=Count("id", filter=WITHHELD),
    )
    return Counts(named=totals["named"], unnamed=totals["unnamed"], withheld=totals["withheld"])


def listing(rows: QuerySet[Signature], language: str) -> tuple[Counts, list[ListRow]]:
    """One mission's counts and printable rows, numbered, from one read of ``rows``.

    Counting in the same pass as the listing halves what a packet asks of
    the database: on PostgreSQL each read joins the mission's snapshot
    entries to the signatures row by row (docs/performance.md, "Delivery
    packets"). Rows that may not be printed are only counted; their name,
    city and region never leave the database.
    """
    hidden = Value("", output_field=CharField())
    printable = {
        f"printed_{column}": Case(When(NAMED, then=F(column)), default=hidden)
        for column in LIST_COLUMNS[1:]
    }
    read = rows.order_by().annotate(**printable)
    columns = ("id", *printable, "publish_name", "name_withheld")
    tally = {"named": 0, "unnamed": 0, "withheld": 0}

    def named() -> Iterator[tuple[object, ...]]:
        for *row, publish, withheld in read.values_list(*columns).iterator(chunk_size=CHUNK_SIZE):
            kind = "withheld" if withheld else "named" if publish else "unnamed"
            tally[kind] += 1
            if kind == "named":
                yield row

    people = list(_numbered(_sorted_rows(named(), language)))
    return Counts(**tally), people


def region_name(country: str, region: str, language: str) -> str:
    """A subdivision's localised name for ISO 3166-2 codes; free text as typed."""
    if region and geo.is_subdivision_code(region):
        return geo.subdivision_name(region, language)
    return region


def named_rows(rows: QuerySet[Signature], language: str) -> Iterator[ListRow]:
    """The printable rows of ``rows``, numbered 1..N in the documented order.

    Order: country name, region name, city (casefolded), last name, first
    name, id; names in ``language``. Signers who asked not to be named and
    names withheld by moderation are filtered out in the query itself.

    For a packet of every signer of the petition: the rows are read one
    country at a time, so memory is bounded by the largest country. A
    mission's own list is read by ``listing``.
    """
    named = rows.filter(NAMED).order_by()
    codes = named.values_list("country", flat=True).distinct()
    countries = sorted(
        ((geo.country_name(code, language), code) for code in codes),
        key=lambda pair: (pair[0].casefold(), pair[0], pair[1]),
    )
    number = 0
    for _label, code in countries:
        for row in _numbered(_sorted(named.filter(country=code), language), start=number):
            number = row.number
            yield row


def _sorted(rows: QuerySet[Signature], language: str) -> list[tuple[str, str, str, str]]:
    """(name, city, region label, country label) of ``rows`` in the list's order."""
    return _sorted_rows(rows.values_list(*LIST_COLUMNS).iterator(chunk_size=CHUNK_SIZE), language)


def _sorted_rows(rows: Iterable[Sequence[Any]], language: str) -> list[tuple[str, str, str, str]]:
    """(name, city, region label, country label) of LIST_COLUMNS tuples in the list's order."""
    countries: dict[str, str] = {}
    regions: dict[tuple[str, str], str] = {}
    people = []
    for pk, first, last, city, region, code in rows:
        country = countries.get(code)
        if country is None:
            country = countries[code] = geo.country_name(code, language)
        label = regions.get((code, region))
        if label is None:
            label = regions[(code, region)] = region_name(code, region, language)
        key = (
            country.casefold(),
            country,
            code,
            label.casefold(),
            label,
            city.casefold(),
            last.casefold(),
            first.casefold(),
            pk,
        )
        people.append((key, first, last, city, label, country))
    people.sort(key=lambda person: person[0])
    return [
        (f"{first} {last}".strip(), city, label, country)
        for _key, first, last, city, label, country in people
    ]


def _numbered(people: list[tuple[str, str, str, str]], start: int = 0) -> Iterator[ListRow]:
    from safepassage.packets.listpdf import ListRow

    for offset, (name, city, region, country) in enumerate(people, start=start + 1):
        yield ListRow(number=offset, name=name, city=city, region=region, country=country)

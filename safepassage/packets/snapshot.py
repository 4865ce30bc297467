"""What a packet build reads: the signatures of its snapshot, counted and listed.

A build is fixed when it starts (``snapshot_at``, ``max_signature_id``), so
every packet of it, built now or after a crash tomorrow, reads the same rows.
Only the columns a list prints are ever selected: the e-mail hash, the
encrypted address and the IP hash never leave the database for a packet,
so no mistake further down can print them.

Rows are read with ``values_list(...).iterator()`` one country at a time and
sorted in Python, because the order is by the *localised* country and region
names (which the database cannot sort by); the memory needed is that of the
largest country in one packet, never the whole petition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from safepassage.lib import geo
from safepassage.signatures.models import Signature

if TYPE_CHECKING:
    from safepassage.directory.models import Mission
    from safepassage.packets.listpdf import ListRow
    from safepassage.packets.models import PacketBuild

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


def signatures(build: PacketBuild) -> QuerySet[Signature]:
    """The build's counted signatures of its petition, as they were at the snapshot."""
    return Signature.objects.counted().filter(
        petition_id=build.petition_id,
        confirmed_at__lte=build.snapshot_at,
        id__lte=build.max_signature_id,
    )


def scoped(build: PacketBuild, mission: Mission) -> QuerySet[Signature]:
    """The signatures one mission's list stands for (its own, or all of them)."""
    rows = signatures(build)
    if build.scope == build.Scope.MISSION:
        rows = rows.filter(mission_id=mission.pk)
    return rows


def count(rows: QuerySet[Signature]) -> Counts:
    """Named, unnamed and withheld counts in one query."""
    totals = rows.aggregate(
        named=Count("id", filter=NAMED),
        unnamed=Count("id", filter=UNNAMED),
        withheld=Count("id", filter=WITHHELD),
    )
    return Counts(named=totals["named"], unnamed=totals["unnamed"], withheld=totals["withheld"])


def region_name(country: str, region: str, language: str) -> str:
    """A subdivision's localised name for ISO 3166-2 codes; free text as typed."""
    if region and geo.is_subdivision_code(region):
        return geo.subdivision_name(region, language)
    return region


def named_rows(
    rows: QuerySet[Signature], language: str, *, by_country: bool = False
) -> Iterator[ListRow]:
    """The printable rows of ``rows``, numbered 1..N in the documented order.

    Order: country name, region name, city (casefolded), last name, first
    name, id; names in ``language``. Signers who asked not to be named and
    names withheld by moderation are filtered out in the query itself.

    One mission's rows are read in one query and sorted here (a mission has
    at most a few hundred thousand signers). With ``by_country`` (every
    signer of the petition in each packet) they are read one country at a
    time, so memory is bounded by the largest country instead.
    """
    named = rows.filter(NAMED).order_by()
    if not by_country:
        yield from _numbered(_sorted(named, language))
        return
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
    countries: dict[str, str] = {}
    regions: dict[tuple[str, str], str] = {}
    people = []
    for pk, first, last, city, region, code in rows.values_list(*LIST_COLUMNS).iterator(
        chunk_size=CHUNK_SIZE
    ):
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

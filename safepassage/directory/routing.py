"""Assigning each confirmed signature to the mission responsible for its place.

The rule, in order: the consular district that contains the signer's
subdivision (or whole country); else the nearest open mission in the
signer's country; else the embassy accredited to that country; else the
nearest open mission anywhere. Places are located offline (lib/geo/gazetteer.py);
a place that cannot be found is routed by its subdivision or country centre
and counted as such, never dropped.

Routing works on batches of primary keys, so it can be re-run after a
crash or a change to the directory and always reaches the same result.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef

from safepassage.campaigns.models import Petition
from safepassage.directory.models import Mission, MissionArea, SignatureRoute
from safepassage.directory.signals import signatures_rerouted
from safepassage.lib import geo
from safepassage.lib.geo import freetext, gazetteer
from safepassage.lib.geo.distance import distance_km
from safepassage.lib.writelock import database_write_lock
from safepassage.signatures import counter
from safepassage.signatures.models import Signature

logger = logging.getLogger(__name__)

BATCH = 20_000


class Step:
    DISTRICT = "district"
    IN_COUNTRY = "in_country"
    ACCREDITED = "accredited"
    NEAREST = "nearest"
    NONE = "none"


@dataclass(frozen=True)
class Route:
    mission_id: int | None
    placement: str  # a SignatureRoute.Placement value
    step: str  # which rule decided, for reports and tests


@dataclass(frozen=True)
class _Post:
    id: int
    kind: str
    host: str
    latitude: float | None
    longitude: float | None


def _position(mission: Mission) -> tuple[float | None, float | None]:
    """The mission's coordinates; without them, its city's centre (for distances only,
    never stored as the mission's own)."""
    if mission.latitude is not None and mission.longitude is not None:
        return mission.latitude, mission.longitude
    if mission.city:
        place = gazetteer.locate(mission.host_country, mission.city)
        if place.precision == "city":
            return place.latitude, place.longitude
    return None, None


class Router:
    """The routing rule over one sending state's open missions, loaded once."""

    def __init__(self, sending_state: str) -> None:
        self.sending_state = sending_state
        posts = [
            _Post(m.pk, m.kind, m.host_country, *_position(m))
            for m in Mission.objects.of(sending_state).routable().order_by("key")
        ]
        self.posts = posts
        self.located = [p for p in posts if p.latitude is not None]
        self.in_country: dict[str, list[_Post]] = defaultdict(list)
        for post in posts:
            self.in_country[post.host].append(post)
        routable = {p.id for p in posts}
        # A code in several districts (a state split between posts) keeps them all.
        self.district: dict[str, list[_Post]] = defaultdict(list)
        self.accredited: dict[str, int] = {}
        by_id = {p.id: p for p in posts}
        areas = (
            MissionArea.objects.filter(mission_id__in=routable)
            .order_by("mission__key")
            .values_list("kind", "code", "mission_id")
        )
        for kind, code, mission_id in areas:
            if kind == MissionArea.Kind.DISTRICT:
                self.district[code].append(by_id[mission_id])
            else:
                self.accredited.setdefault(code, mission_id)
        self.route = lru_cache(maxsize=200_000)(self._route)

    def _nearest(self, posts: list[_Post], latitude: float, longitude: float) -> _Post | None:
        best, best_distance = None, math.inf
        for post in posts:
            if post.latitude is None or post.longitude is None:
                continue
            d = distance_km(latitude, longitude, post.latitude, post.longitude)
            if d < best_distance:
                best, best_distance = post, d
        return best

    def _route(self, country: str, region: str, city: str) -> Route:
        country = country.upper()
        region_code = region.upper() if geo.is_subdivision_code(region.upper()) else ""
        if region and not region_code:
            # A region's name rather than its code ("Ontario", "서울"), as lists and
            # API clients send them.
            region_code = geo.find_subdivision(country, region) or ""
        place = gazetteer.locate(country, city, region_code)
        return self._decide(
            country, region_code or place.region, place.latitude, place.longitude, place.precision
        )

    def route_at(
        self, country: str, region: str, latitude: float, longitude: float, placement: str
    ) -> Route:
        """The rule for a place already located (a postcode's coordinates in the finder)."""
        country = country.upper()
        region_code = region.upper() if geo.is_subdivision_code(region.upper()) else ""
        return self._decide(country, region_code, latitude, longitude, placement)

    def _decide(
        self, country: str, region_code: str, lat: float | None, lon: float | None, placement: str
    ) -> Route:
        # 1. The consular district containing the signer's subdivision or country;
        #    of a subdivision split between districts, the nearest of their posts.
        # A territory with an ISO 3166-1 code of its own (Puerto Rico) is also
        # looked up as the subdivision it is of another state (US-PR).
        parent = gazetteer.territory_parent(country)
        for code in (region_code, country, parent):
            claimants = self.district.get(code) if code else None
            if claimants:
                first: _Post | None = claimants[0]
                if len(claimants) > 1 and lat is not None and lon is not None:
                    first = self._nearest(claimants, lat, lon) or first
                assert first is not None
                return Route(first.id, placement, Step.DISTRICT)
        # 2. The nearest open mission in the signer's country.
        local = self.in_country.get(country) or self.in_country.get(parent[:2])
        if local:
            embassies = [p for p in local if p.kind == Mission.Kind.EMBASSY]
            nearest = None
            if lat is not None and lon is not None:
                nearest = self._nearest(local, lat, lon)
            return Route((nearest or (embassies or local)[0]).id, placement, Step.IN_COUNTRY)
        # 3. The embassy accredited to the signer's country.
        if country in self.accredited:
            return Route(self.accredited[country], placement, Step.ACCREDITED)
        # 4. The nearest open mission anywhere.
        if lat is not None and lon is not None:
            nearest = self._nearest(self.located, lat, lon)
            if nearest:
                return Route(nearest.id, placement, Step.NEAREST)
        return Route(None, SignatureRoute.Placement.NONE, Step.NONE)


@dataclass(frozen=True)
class Finding:
    """Where a line of text typed into the finder leads."""

    query: freetext.Query
    route: Route

    @property
    def by_postcode(self) -> bool:
        return self.query.postcode is not None and self.route.placement != "city"

    @property
    def found(self) -> bool:
        """Whether the text named a place we know, not merely a country we fell back to."""
        if self.route.mission_id is None:
            return False
        if self.route.placement == "city" or self.by_postcode:
            return True
        # A region or a country the text itself named ("Ontario", "Paris, France").
        return bool(self.query.region) or (self.query.country_from_text and not self.query.city)


def find_for_text(router: Router, text: str, country: str = "") -> Finding | None:
    """The mission for "Waterloo, Ontario", "Chicago, IL 60610" or "서울" (in ``country``).

    None when neither the text nor ``country`` names a country.
    """
    query = freetext.parse(text, country)
    if not query.country:
        return None
    postcode = query.postcode
    if (
        not query.city
        and postcode is not None
        and postcode.latitude is not None
        and postcode.longitude is not None
    ):
        route = router.route_at(
            query.country, query.region, postcode.latitude, postcode.longitude, "postcode"
        )
    else:
        route = router.route(query.country, query.region, query.city)
    if (
        route.placement != "city"
        and query.city
        and not query.region
        and not query.country_from_text
    ):
        # Not a city of the country chosen: perhaps one of a country with missions
        # (서울 typed with Germany still selected).
        elsewhere = gazetteer.locate_among(router.in_country, query.city)
        if elsewhere is not None:
            country, place = elsewhere
            query = replace(query, country=country, region=place.region, country_from_text=True)
            route = router.route(country, place.region, query.city)
    return Finding(query, route)


@dataclass
class RoutingReport:
    routed: int = 0
    changed: int = 0
    placements: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        placed = ", ".join(f"{k} {v}" for k, v in sorted(self.placements.items()))
        steps = ", ".join(f"{k} {v}" for k, v in sorted(self.steps.items()))
        return f"{self.routed} routed, {self.changed} changed; placed by: {placed}; rule: {steps}"


def _write_routes(changes: dict[tuple[int | None, str], list[int]]) -> int:
    """A batch's new routes; how many were written.

    A signature erased while its batch was being routed makes the first try
    fail on the route's foreign key (``services.erase`` locks the signature
    first, so the erasure itself always goes through); the batch is then
    written again without it.
    """
    rows = sorted((pk, m, p) for (m, p), pks in changes.items() for pk in pks)
    try:
        return _upsert_routes(rows)
    except IntegrityError:
        kept = set(
            Signature.objects.filter(pk__gte=rows[0][0], pk__lte=rows[-1][0]).values_list(
                "pk", flat=True
            )
        )
        return _upsert_routes([row for row in rows if row[0] in kept])


def _upsert_routes(rows: list[tuple[int, int | None, str]]) -> int:
    """One transaction and one INSERT ... ON CONFLICT DO UPDATE of the batch's
    (id, mission, placement) rows, in primary-key order.

    Plain SQL: building ORM objects or filters for thousands of keys costs more
    than the statement itself.
    """
    if not rows:
        return 0
    table = SignatureRoute._meta.db_table
    upsert = (
        f"INSERT INTO {table} (signature_id, mission_id, placement) "  # noqa: S608
        # (The WHERE clause keeps SQLite from reading the ON below as a join's.)
        "SELECT v.id, v.m, v.p FROM {rows} WHERE true ORDER BY v.id "
        "ON CONFLICT (signature_id) DO UPDATE "
        "SET mission_id = excluded.mission_id, placement = excluded.placement"
    )
    with database_write_lock(), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each array is one text parameter bound on the server: Django's cursor
            # would spell 60,000 values out in the query text, and psycopg's
            # adaptation of a list looks at every item, both costing more client time
            # than the server takes to parse them. Never prepared, so that a
            # transaction pooler may stand in between.
            ids = "{" + ",".join([str(r[0]) for r in rows]) + "}"
            missions = "{" + ",".join(["NULL" if r[1] is None else str(r[1]) for r in rows]) + "}"
            # Placements are SignatureRoute.Placement values: words, quoted all the same.
            placements = "{" + ",".join([f'"{r[2]}"' for r in rows]) + "}"
            # Routes are recomputed from the signatures: a commit lost in a crash
            # leaves its rows unrouted, and the next sweep routes them again. So
            # this transaction alone need not wait for its WAL to reach the disk.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            assert connection.connection is not None
            with psycopg.Cursor(connection.connection) as server_bound:
                server_bound.execute(
                    upsert.format(
                        rows="unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(id, m, p)"
                    ),
                    [ids, missions, placements],
                    prepare=False,
                )
                return int(server_bound.rowcount)
        # On SQLite (3.24 or later, for ON CONFLICT; Debian 12 has 3.40) the rows are
        # one JSON parameter, read by json_each.
        cursor.execute(
            upsert.format(
                rows="(SELECT json_extract(j.value, '$[0]') AS id, json_extract(j.value, '$[1]') "
                "AS m, json_extract(j.value, '$[2]') AS p FROM json_each(%s) AS j) AS v"
            ),
            [json.dumps(rows)],
        )
        return int(cursor.rowcount)


def route_petition(
    petition: Petition,
    *,
    everything: bool = False,
    confirmed_since: datetime | None = None,
    batch: int = BATCH,
    router: Router | None = None,
) -> RoutingReport:
    """Route the petition's confirmed signatures not yet routed (or all of them).

    With ``confirmed_since``, only the counted ones confirmed since then: a short
    range of ``signature_counted_since_idx`` rather than every confirmed
    signature of the petition, for the task that follows confirmations.

    Idempotent: a signature whose route did not change is not written. The
    signatures whose mission changed are announced per batch
    (``signals.signatures_rerouted``: packets printed before mark themselves
    out of date).
    """
    router = router or Router(petition.campaign.target_government)
    report = RoutingReport()
    for rows in _batches(petition, everything, confirmed_since, batch):
        changes: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        moved: list[int] = []
        for pk, country, region, city, mission_id, placement in rows:
            route = router.route(country, region, city)
            report.placements[route.placement] += 1
            report.steps[route.step] += 1
            if (route.mission_id, route.placement) != (mission_id, placement):
                changes[(route.mission_id, route.placement)].append(pk)
            if route.mission_id != mission_id:
                moved.append(pk)
        report.routed += len(rows)
        if changes:
            report.changed += _write_routes(changes)
        if moved:
            signatures_rerouted.send(Signature, petition_id=petition.pk, signature_ids=moved)
    if report.changed:
        counter.forget(petition.pk)
    logger.info("routed petition %s: %s", petition.pk, report.summary())
    return report


_COLUMNS = ("pk", "country", "region", "city", "route__mission_id", "route__placement")


def _batches(
    petition: Petition, everything: bool, confirmed_since: datetime | None, batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The signatures to route, ``batch`` at a time in primary-key order."""
    confirmed = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
    if not everything:
        confirmed = confirmed.filter(route__isnull=True)
    if confirmed_since is not None:
        # One window of confirmations, read at once and unordered: ordered by key,
        # the database would walk every confirmed signature in key order instead
        # of the short range of confirmation times.
        recent = confirmed.filter(review_reason="", confirmed_at__gte=confirmed_since)
        rows = sorted(recent.order_by().values_list(*_COLUMNS))
        for start in range(0, len(rows), batch):
            yield rows[start : start + batch]
        return
    last = 0
    while True:
        rows = list(confirmed.filter(pk__gt=last).order_by("pk").values_list(*_COLUMNS)[:batch])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def route_pending() -> int:
    """Route every confirmed signature not yet routed, in all petitions.

    Each petition with confirmed signatures is looked at once, by
    ``route_petition`` itself: asking first which petitions have unrouted
    signatures would read every confirmed signature twice.
    """
    confirmed = Signature.objects.filter(petition=OuterRef("pk"), status=Signature.Status.CONFIRMED)
    total = 0
    for petition in Petition.objects.filter(Exists(confirmed)).select_related("campaign"):
        total += route_petition(petition).routed
    return total

"""Counted signatures, the one query layer, and the report of where signers were placed.

The campaign statistics (reports/stats.py), and through them the campaign
page, maps and the API, count from ``counted``: confirmed and not held for
review (SignatureQuerySet.counted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.models import SignatureRoute
from safepassage.signatures.models import Signature, SignatureQuerySet


def counted(campaign: Campaign, petition: Petition | None = None) -> SignatureQuerySet:
    """The campaign's counted signatures, or only one petition's."""
    signatures = Signature.objects.counted().filter(petition__campaign=campaign)
    return signatures.filter(petition=petition) if petition else signatures


@dataclass
class PlacementReport:
    """How precisely signers were placed: the "could not place" report."""

    by_placement: dict[str, int]
    unrouted: int
    unknown_places: list[tuple[str, str, str, int]]  # country, region, city, count

    @property
    def not_at_city(self) -> int:
        return sum(n for p, n in self.by_placement.items() if p in ("region", "country", "none"))


def placement_report(campaign: Campaign, limit: int = 100) -> PlacementReport:
    signatures = counted(campaign)
    placements: Counter[str | None] = Counter(
        dict(signatures.values_list("route__placement").annotate(n=Count("pk")).order_by())
    )
    unrouted = placements.pop(None, 0)
    not_at_city = [p for p in SignatureRoute.Placement if p != SignatureRoute.Placement.CITY]
    unknown = (
        signatures.filter(route__placement__in=not_at_city)
        .values_list("country", "region", "city")
        .annotate(n=Count("pk"))
        .order_by("-n", "country", "city")[:limit]
    )
    by_placement = {str(p): n for p, n in placements.items()}
    return PlacementReport(by_placement, unrouted, [tuple(row) for row in unknown])  # type: ignore[misc]

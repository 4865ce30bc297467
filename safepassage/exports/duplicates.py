"""Possible duplicates among paper signatures: found at import, decided by an organiser.

Two paper signatures of one petition are possibly the same person when
their normalised names and places agree (``signatures.paper.person_key``),
whether they are on one sheet, two sheets or two files. Nothing is merged:
the import records each such pair as a ``PaperDuplicate`` (the later row
against the earliest of its name and place), both stay counted, and an
organiser keeps both or drops one (an erasure with its tombstone, as any
organiser erasure: ``signatures.services.erase``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.models import mission_of
from safepassage.signatures import services
from safepassage.signatures.models import Erasure, PaperDuplicate, Signature
from safepassage.signatures.paper import person_key

logger = logging.getLogger(__name__)

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Earlier:
    """A paper signature already in the database that a new row may repeat."""

    pk: int
    sheet: str
    collected_by: str


def existing(petition: Petition) -> dict[Key, Earlier]:
    """The earliest paper signature of each name and place of the petition."""
    found: dict[Key, Earlier] = {}
    rows = (
        Signature.objects.filter(petition=petition, channel=Signature.Channel.PAPER)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "city", "country", "sheet", "collected_by")
        .iterator(chunk_size=2000)
    )
    for pk, first, last, city, country, sheet, collected_by in rows:
        found.setdefault(person_key(first, last, city, country), Earlier(pk, sheet, collected_by))
    return found


def pairs(petition: Petition, created: Iterable[Signature], before: dict[Key, Earlier]) -> int:
    """Record every new paper signature that repeats an earlier name and place; how many."""
    heads: dict[Key, int] = {key: earlier.pk for key, earlier in before.items()}
    flags: list[PaperDuplicate] = []
    for signature in sorted(created, key=lambda s: s.pk or 0):
        if signature.pk is None or signature.channel != Signature.Channel.PAPER:
            continue
        key = person_key(
            signature.first_name, signature.last_name, signature.city, signature.country
        )
        head = heads.setdefault(key, signature.pk)
        if head != signature.pk:
            first, second = sorted((head, signature.pk))
            flags.append(PaperDuplicate(petition=petition, first_id=first, second_id=second))
    PaperDuplicate.objects.bulk_create(flags, ignore_conflicts=True)
    return len(flags)


def open_pairs(campaign: Campaign) -> QuerySet[PaperDuplicate]:
    """The campaign's possible duplicates no organiser has decided yet."""
    return (
        PaperDuplicate.objects.filter(
            petition__campaign=campaign, decision=PaperDuplicate.Decision.OPEN
        )
        .select_related(
            "petition", "first", "second", "first__route__mission", "second__route__mission"
        )
        .order_by("petition_id", "first_id", "second_id")
    )


class NotOpen(LookupError):
    """The pair is decided already, gone, or of another campaign."""


def decide(campaign: Campaign, pair_id: int, action: str, user: Any) -> Signature | None:
    """Keep both ("keep"), or drop the first or second ("drop_first", "drop_second").

    Dropping erases that signature like an organiser's erasure (tombstone,
    packets marked out of date, counter recounted); every pair it was in goes
    with it. Returns the dropped signature, or None when both are kept.
    """
    with transaction.atomic():
        pair = (
            PaperDuplicate.objects.select_for_update()
            .filter(pk=pair_id, petition__campaign=campaign, decision=PaperDuplicate.Decision.OPEN)
            .select_related("first", "second")
            .first()
        )
        if pair is None:
            raise NotOpen(pair_id)
        if action == "keep":
            pair.decision = PaperDuplicate.Decision.KEEP
            pair.decided_by = user
            pair.decided_at = timezone.now()
            pair.save(update_fields=["decision", "decided_by", "decided_at"])
            logger.info("paper duplicate %s kept by user %s", pair.pk, user.pk)
            return None
        if action not in ("drop_first", "drop_second"):
            raise ValueError(action)
        dropped = pair.first if action == "drop_first" else pair.second
        services.erase(dropped, reason=Erasure.Reason.ORGANISER)
    logger.info("paper duplicate %s: signature %s dropped by user %s", pair_id, dropped.pk, user.pk)
    return dropped


def pair_lines(pairs: Sequence[PaperDuplicate]) -> list[dict[str, Any]]:
    """What the organiser's page shows of each pair: both rows side by side."""

    def side(signature: Signature) -> dict[str, Any]:
        return {
            "id": signature.pk,
            "name": f"{signature.first_name} {signature.last_name}".strip(),
            "place": ", ".join(
                part for part in (signature.city, signature.region, signature.country) if part
            ),
            "sheet": signature.sheet,
            "collected_by": signature.collected_by,
            "named": signature.publish_name and not signature.name_withheld,
            "mission": mission.name if (mission := mission_of(signature)) else "",
            "imported": signature.created_at,
        }

    return [
        {
            "pk": pair.pk,
            "petition": pair.petition,
            "first": side(pair.first),
            "second": side(pair.second),
        }
        for pair in pairs
    ]

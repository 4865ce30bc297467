"""The live counter of a petition, from the worker's aggregates plus what came since.

Counting a million signatures on every cache miss is what the counter must
not do. The worker's refresh (``reports.stats.refresh_stats``) counts each
petition's signatures confirmed before a moment it remembers
(``CampaignStats.counted_until``); the counter adds the signatures confirmed
since then, a short range of a partial index (``signature_counted_since_idx``).
A confirmation therefore shows at once and costs nothing extra.

Whatever changes the count otherwise (a withdrawal, moderation, a review flag
cleared, an import) calls ``recount``: that petition's figure is counted again
against the same moment, so the counter is exact at once too, and the next
refresh recounts everything anyway.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, Sum

from safepassage.campaigns.models import (
    PETITION_CACHE_SECONDS,
    Petition,
    count_cache_key,
    petition_id_cache_key,
    public_petition,
)
from safepassage.signatures.models import CampaignStats, PaperTally, Signature


def confirmed_before(until: datetime) -> Q:
    """Signatures in the worker's count taken at ``until`` (also those with no time)."""
    return Q(confirmed_at__lt=until) | Q(confirmed_at__isnull=True)


def counted_before(petition_id: int, until: datetime) -> int:
    """Counted signatures of the petition confirmed before ``until``."""
    return (
        Signature.objects.counted()
        .filter(petition_id=petition_id)
        .filter(confirmed_before(until))
        .count()
    )


def counted_now(petition_id: int) -> int:
    """The petition's counted signatures: the refreshed figure plus those confirmed since."""
    row = (
        CampaignStats.objects.filter(campaign__petitions=petition_id)
        .values_list("by_petition", "counted_until")
        .first()
    )
    signatures = Signature.objects.counted().filter(petition_id=petition_id)
    if row is None or row[1] is None:
        return signatures.count()
    by_petition, until = row
    since = signatures.filter(confirmed_at__gte=until).count()
    return int(by_petition.get(str(petition_id), 0)) + since


def paper_count(petition_id: int) -> int:
    """Legacy paper tallies of the petition: counts without names, apart from signatures.

    Paper signatures with names are signatures (``channel="paper"``) and are
    in the confirmed count already.
    """
    total = PaperTally.objects.filter(petition_id=petition_id).aggregate(n=Sum("count"))["n"]
    return int(total or 0)


def paper_totals(campaign_id: int) -> tuple[int, dict[str, int]]:
    """The campaign's counted paper signatures, and every paper signature by who collected it.

    The second figure adds the legacy tallies under their source, so its
    values add up to the counted paper signatures plus the tallies: all that
    was collected on paper.
    """
    by_collector: Counter[str] = Counter()
    signatures = Signature.objects.counted().filter(
        petition__campaign_id=campaign_id, channel=Signature.Channel.PAPER
    )
    for collected_by, n in (
        signatures.values_list("collected_by").annotate(n=Count("pk")).order_by()
    ):
        by_collector[collected_by] += int(n)
    on_paper = sum(by_collector.values())
    tallies = PaperTally.objects.filter(petition__campaign_id=campaign_id)
    for source, n in tallies.values_list("source").annotate(n=Sum("count")).order_by():
        by_collector[source] += int(n or 0)
    return on_paper, dict(sorted(by_collector.items()))


def embed_totals(campaign_id: int) -> dict[str, int]:
    """{organisation pk: count} of the campaign's counted signatures made through embeds."""
    rows = (
        Signature.objects.counted()
        .filter(petition__campaign_id=campaign_id, embed_partner__isnull=False)
        .values_list("embed_partner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {str(partner): int(n) for partner, n in rows}


def forget(petition_id: int) -> None:
    """Drop the cached counter figures; the next reader counts again (cheaply)."""
    cache.delete(count_cache_key(petition_id))


def recount(petition_id: int) -> None:
    """Count the petition's refreshed figure again after anything but a confirmation.

    Call it in the transaction that made the change, after the change: the
    count sees it, and the new figure commits (or rolls back) with it. The
    cached counter is dropped now and again on commit, so no reader keeps a
    figure from before the commit.
    """
    with transaction.atomic():
        stats = (
            CampaignStats.objects.select_for_update()
            .filter(campaign__petitions=petition_id, counted_until__isnull=False)
            .first()
        )
        if stats is not None:
            assert stats.counted_until is not None
            stats.by_petition[str(petition_id)] = counted_before(petition_id, stats.counted_until)
            stats.save(update_fields=["by_petition"])
    forget(petition_id)
    transaction.on_commit(lambda: forget(petition_id))


def figures(petition: Petition) -> dict[str, int]:
    """What the live counter shows: counted signatures, paper signatures, the goal.

    Never a count of the whole table: the worker's aggregates plus the
    signatures confirmed since (``counted_now``). Cached for
    COUNT_CACHE_SECONDS; every change of a count drops the cached copy.
    """
    key = count_cache_key(petition.pk)
    cached = cache.get(key)
    if cached is None:
        cached = {
            "confirmed": counted_now(petition.pk),
            "paper": paper_count(petition.pk),
            "goal": petition.signature_goal,
        }
        cache.set(key, cached, settings.COUNT_CACHE_SECONDS)
    return dict(cached)


def confirmed_count(petition: Petition) -> int:
    """Confirmed, unflagged signatures; cached for a few seconds for busy pages."""
    return int(figures(petition)["confirmed"])


def public_counter(slug: str) -> dict[str, int] | None:
    """The live counter of a public petition by slug, or None: the counter endpoint's path.

    Polled by every open signing page, so a cache hit reads two small
    values and never the pickled petition.
    """
    key = petition_id_cache_key(slug)
    petition_id = cache.get(key)
    if petition_id == 0:  # known not to be public
        return None
    if petition_id is not None:
        cached = cache.get(count_cache_key(petition_id))
        if cached is not None:
            return dict(cached)
    petition = public_petition(slug)
    cache.set(key, petition.pk if petition else 0, PETITION_CACHE_SECONDS)
    return figures(petition) if petition else None

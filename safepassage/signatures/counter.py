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

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum

from safepassage.campaigns.models import count_cache_key
from safepassage.reports.models import CampaignStats
from safepassage.signatures.models import PaperTally, Signature


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
    """Signatures of the petition collected on paper, counted apart (PaperTally)."""
    total = PaperTally.objects.filter(petition_id=petition_id).aggregate(n=Sum("count"))["n"]
    return int(total or 0)


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

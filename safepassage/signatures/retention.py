"""How long a client's IP hash is kept: IP_HASH_RETENTION_DAYS, then null.

The hash is needed while a signature can still be part of a flood that an
organiser cleans up by network (signatures/moderation.py) and while the
throttle windows last; after that it only links one signer's visits together.
Run by housekeeping; idempotent, so several workers may overlap.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import transaction

from safepassage.lib.clients import hash_retention_cutoff
from safepassage.signatures.models import ModerationAction, Signature

logger = logging.getLogger(__name__)

BATCH = 5000
# The sweep reads every signature older than the cutoff (no index is worth its
# cost to signing for this), so each process runs it at most once an hour.
SWEEP_SECONDS = 3600.0
_next_sweep = 0.0


def drop_old_ip_hashes(now: datetime | None = None) -> int:
    """Set to null the IP hash of signatures, and of moderation criteria, past retention.

    Returns how many signatures lost their hash. Works in batches of short
    transactions, so signing never waits long for the write lock.
    """
    cutoff = hash_retention_cutoff(now)
    total = 0
    while True:
        ids = list(
            Signature.objects.filter(created_at__lt=cutoff, ip_hash__isnull=False)
            .order_by()
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            total += Signature.objects.filter(pk__in=ids).update(ip_hash=None)
    # An invalidation by network names the hash in its criteria: drop it there too.
    actions = ModerationAction.objects.filter(created_at__lt=cutoff, criteria__has_key="ip_hash")
    for action in actions.only("pk", "criteria"):
        if action.criteria.get("ip_hash") is not None:
            action.criteria["ip_hash"] = None
            action.save(update_fields=["criteria"])
    if total:
        logger.info("dropped the IP hash of %d signatures", total)
    return total


def sweep_ip_hashes() -> int:
    """housekeeping's step: drop_old_ip_hashes, at most once per SWEEP_SECONDS per process."""
    global _next_sweep
    if time.monotonic() < _next_sweep:
        return 0
    dropped = drop_old_ip_hashes()
    _next_sweep = time.monotonic() + SWEEP_SECONDS
    return dropped

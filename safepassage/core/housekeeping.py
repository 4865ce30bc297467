"""Periodic upkeep run by every worker: idempotent, so several may overlap."""

from __future__ import annotations

import logging

from safepassage.deliveries.services import sync_email_deliveries
from safepassage.directory.routing import route_pending
from safepassage.events.services import expire_pending_rsvps
from safepassage.outbox.tasks import prune_task_results, requeue_due
from safepassage.reports.stats import refresh_all_stats
from safepassage.signatures.services import expire_unconfirmed

logger = logging.getLogger(__name__)


def housekeeping() -> dict[str, int]:
    return {
        "requeued_mail": requeue_due(),
        "expired_signatures": expire_unconfirmed(),
        "pruned_task_results": prune_task_results(),
        "routed_signatures": route_pending(),
        "expired_rsvps": expire_pending_rsvps(),
        "stats_refreshed": refresh_all_stats(),
        "email_deliveries_synced": sum(sync_email_deliveries().values()),
    }

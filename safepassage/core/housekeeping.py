"""Periodic upkeep run by every worker: idempotent, so several may overlap."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from safepassage.accounts.retention import drop_old_sign_in_hashes
from safepassage.core.backups import withdrawal_records
from safepassage.deliveries.emailing import sync_email_deliveries
from safepassage.directory.freshness import send_reminders as remind_directory_checks
from safepassage.directory.routing import route_pending
from safepassage.events.services import expire_pending_rsvps
from safepassage.reports.stats import refresh_all_stats
from safepassage.signatures.botcheck import forget_expired_challenges
from safepassage.signatures.erasurelog import export as export_erasure_log
from safepassage.signatures.retention import sweep_ip_hashes
from safepassage.signatures.services import expire_unconfirmed
from safepassage.signatures.throttle import prune_counters
from safepassage.webhooks.services import prune_deliveries

logger = logging.getLogger(__name__)


def prune_task_results(keep: timedelta = timedelta(days=1)) -> int:
    """Finished tasks' rows say only which work was done; keep them a day."""
    cutoff = timezone.now() - keep
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def housekeeping() -> dict[str, int]:
    return {
        # First, so that no failing step after it keeps it from running: the
        # log outlives a restored backup (ERASURE_LOG_PATH, docs/operations.md).
        # It holds cancelled RSVPs and unsubscribes too, so a restore cannot undo them.
        "erasures_logged": export_erasure_log(withdrawal_records()),
        "expired_signatures": expire_unconfirmed(),
        "pruned_limit_counters": prune_counters(),
        "expired_bot_challenges": forget_expired_challenges(),
        "dropped_ip_hashes": sweep_ip_hashes(),
        "dropped_sign_in_ip_hashes": drop_old_sign_in_hashes(),
        "pruned_task_results": prune_task_results(),
        "routed_signatures": route_pending(),
        "expired_rsvps": expire_pending_rsvps(),
        "stats_refreshed": refresh_all_stats(),
        "email_deliveries_synced": sum(sync_email_deliveries().values()),
        "directory_reminders_queued": remind_directory_checks(),
        "webhook_deliveries_pruned": prune_deliveries(),
    }

"""Undeliverable addresses outlive a restored backup: written to the erasure log, replayed after it.

A provider's bounce or complaint marks an address undeliverable
(``outbox.bounces``, an ``Undeliverable`` row holding only its keyed hash);
a database restored from a backup taken before the report would mail that
address again. So every ``Undeliverable`` row also goes into the erasure log
outside the database (``erasurelog``, ``ERASURE_LOG_PATH``) as an
``UndeliverableRecord``: the housekeeping sweep and ``manage.py backup`` put
it there, ``manage.py restore`` replays it after the erasures and other
withdrawals (docs/operations.md). The outbox sits below the log's layer, so
this module, in the first app above both, makes and replays the records.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Undeliverable
from safepassage.signatures.erasurelog import UndeliverableRecord

logger = logging.getLogger(__name__)


def database_records() -> list[UndeliverableRecord]:
    """The database's undeliverable addresses, as log records (hash, reason, time, provider)."""
    rows = Undeliverable.objects.order_by("created_at", "pk").values_list(
        "email_hash", "reason", "created_at", "provider"
    )
    return [UndeliverableRecord(*row) for row in rows.iterator()]


def replay(records: Sequence[UndeliverableRecord]) -> int:
    """Mark the logged addresses undeliverable again, e.g. after a restore; how many rows changed.

    A missing mark comes back with its reason, provider and time; a complaint
    logged for an address the database knows only as bounced makes it a
    complaint (as ``outbox.bounces.mark_undeliverable`` does). Idempotent:
    marks already in force change nothing. The sender withholds every later
    message to these addresses, including those the restored database still
    had waiting.
    """
    changed = 0
    for record in sorted(records, key=lambda r: r.order):
        with database_write_lock(), transaction.atomic():
            row = Undeliverable.objects.filter(email_hash=record.email_hash).first()
            if row is None:
                Undeliverable.objects.create(
                    email_hash=record.email_hash,
                    reason=record.reason,
                    provider=record.provider[:40],
                    created_at=record.at,
                )
                changed += 1
            elif record.reason == Undeliverable.Reason.COMPLAINED != row.reason:
                Undeliverable.objects.filter(pk=row.pk).update(reason=record.reason)
                changed += 1
    if changed:
        logger.info("re-marked %d undeliverable addresses", changed)
    return changed

"""Sign-in events keep the keyed hash of the client's address as long as signatures do.

After IP_HASH_RETENTION_DAYS the hash is blanked (the event itself stays in the
audit trail): the same period, for the same reason, as the signatures' hash
(signatures/retention.py). Run by housekeeping; idempotent.
"""

from __future__ import annotations

from datetime import datetime

from safepassage.accounts.models import AuthEvent
from safepassage.lib.clients import hash_retention_cutoff


def drop_old_sign_in_hashes(now: datetime | None = None) -> int:
    """Blank the address hash of sign-in events older than the retention period."""
    # AuthEvent.at is indexed: this reads only the old events that still have one.
    return (
        AuthEvent.objects.filter(at__lt=hash_retention_cutoff(now))
        .exclude(ip_hash="")
        .update(ip_hash="")
    )

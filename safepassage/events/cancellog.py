"""Cancelled RSVPs stay cancelled after a restore: in the erasure log, replayed after it.

Cancelling an RSVP erases its encrypted address and its consent to be
contacted (services.cancel) but keeps the row, so it leaves no tombstone. A
backup taken before the cancel would bring back the address, the consent
and the place. So every cancelled RSVP is also written to the erasure log
outside the database (``signatures.erasurelog``, ``ERASURE_LOG_PATH``) as a
``WithdrawalRecord`` of kind ``cancel``, named by the RSVP's uuid, with the
time the cancelled RSVP was made (an RSVP cancelled and opened again keeps
its uuid but is made anew); never an address. Core's housekeeping and
backups put the records there and ``manage.py restore`` replays them
(docs/operations.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from safepassage.events.models import RSVP
from safepassage.events.services import withhold_mail
from safepassage.lib.writelock import database_write_lock
from safepassage.signatures.erasurelog import WithdrawalRecord

logger = logging.getLogger(__name__)

VIA = "link"


def database_records() -> list[WithdrawalRecord]:
    """Every cancelled RSVP of the database, as log records."""
    rows = (
        RSVP.objects.filter(status=RSVP.Status.CANCELLED)
        .order_by("created_at", "pk")
        .values_list("uuid", "event__campaign_id", "created_at")
    )
    return [
        WithdrawalRecord("cancel", "rsvp", campaign_id, str(uuid), made, VIA)
        for uuid, campaign_id, made in rows.iterator()
    ]


def replay(records: Sequence[WithdrawalRecord]) -> int:
    """Cancel again the RSVPs these records name; how many rows it changed.

    Only the RSVP made at or before the record's time (not one opened again
    since): it becomes cancelled, without address or consent to be
    contacted, and its unsent mail is withheld. Idempotent.
    """
    changed = 0
    for record in records:
        with database_write_lock(), transaction.atomic():
            rsvp = RSVP.objects.filter(uuid=record.ref, created_at__lte=record.at).first()
            if rsvp is None:
                continue
            if (rsvp.status, rsvp.email_encrypted, rsvp.contact_ok) != (
                RSVP.Status.CANCELLED,
                "",
                False,
            ):
                RSVP.objects.filter(pk=rsvp.pk).update(
                    status=RSVP.Status.CANCELLED, email_encrypted="", contact_ok=False
                )
                changed += 1
            withhold_mail([rsvp.pk])
    if changed:
        logger.info("cancelled %d RSVPs again", changed)
    return changed

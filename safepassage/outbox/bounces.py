"""Bounce and complaint reports from a mail provider: the address is mailed no more.

A provider's tracking webhook (outbox/webhooks.py, django-anymail's views,
which verify the provider's signature or the shared secret first) sends
anymail's ``tracking`` signal; ``record`` keeps only the keyed hash of the
reported address (``Undeliverable``) and the sender withholds every later
message whose recipient hashes to it. Deferred (temporary) failures, opens
and clicks are ignored: nothing about them is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.db import transaction

from safepassage.lib.emails import InvalidEmail, canonicalize, email_hash
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Message, Undeliverable
from safepassage.outbox.signals import mail_undeliverable

logger = logging.getLogger(__name__)


def reason_of(event: AnymailTrackingEvent) -> str | None:
    """Undeliverable.Reason for a permanent failure or a complaint; None for anything else."""
    if event.event_type == EventType.BOUNCED:
        return Undeliverable.Reason.BOUNCED
    if event.event_type == EventType.COMPLAINED:
        return Undeliverable.Reason.COMPLAINED
    if event.event_type == EventType.REJECTED:
        # The provider refused to send: on its own suppression list after a bounce or complaint.
        if event.reject_reason == RejectReason.BOUNCED:
            return Undeliverable.Reason.BOUNCED
        if event.reject_reason == RejectReason.SPAM:
            return Undeliverable.Reason.COMPLAINED
    return None


def _message(metadata: Any) -> Message | None:
    """The outbox message the event is about, from the metadata the sender gave the provider."""
    try:
        pk = int((metadata or {}).get("outbox", ""))
    except (TypeError, ValueError):
        return None
    return Message.objects.filter(pk=pk).first()


def mark_undeliverable(recipient: str, reason: str, provider: str = "") -> bool:
    """Stop mailing this address; True if it was not marked before."""
    digest = email_hash(canonicalize(recipient), settings.SIGNER_HASH_KEY)
    with database_write_lock(), transaction.atomic():
        row, created = Undeliverable.objects.get_or_create(
            email_hash=digest, defaults={"reason": reason, "provider": provider[:40]}
        )
        if not created and reason == Undeliverable.Reason.COMPLAINED != row.reason:
            # A complaint weighs more than a bounce: it is what the record says from now on.
            Undeliverable.objects.filter(pk=row.pk).update(reason=reason)
    return created


def record(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Receiver of anymail's ``tracking`` signal (connected in OutboxConfig.ready)."""
    reason = reason_of(event)
    if reason is None or not event.recipient:
        return
    try:
        created = mark_undeliverable(event.recipient, reason, esp_name)
    except InvalidEmail:
        logger.warning("%s reported an undeliverable address that is not one", esp_name)
        return
    message = _message(event.metadata)
    # Never the address: the outbox message's id and what happened.
    logger.info(
        "%s reported %s for outbox message %s",
        esp_name,
        reason,
        message.pk if message else "(unknown)",
    )
    if created:
        mail_undeliverable.send(sender=Undeliverable, message=message, reason=reason)

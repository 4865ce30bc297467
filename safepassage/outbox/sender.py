"""Sending the outbox over SMTP: the outbox rows are the queue.

A sender claims a few due messages at a time with one conditional UPDATE
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that any number of
workers on any number of hosts share the queue without taking the same
message), sends them one by one and records each outcome as soon as the
SMTP server has answered. A sender killed mid-batch therefore sends again
at most the one message that was in flight; the rest of its claim is taken
over by another sender once the claim's lease runs out (``OUTBOX_LEASE_SECONDS``,
a minute by default), and a live sender renews the lease of what it still
holds while it works.

Due means: queued or waiting to retry with ``next_attempt_at`` passed, or
"sending" with an expired lease. Held messages (a submission under review)
are never due until an organiser clears the review.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from safepassage.lib import crypto
from safepassage.lib.emails import InvalidEmail, canonicalize, email_hash
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.mail import render
from safepassage.outbox.models import Message, Undeliverable
from safepassage.outbox.pacing import pace

logger = logging.getLogger(__name__)

# How many messages one claim takes: small, so that a sender that dies
# strands few and several senders share a backlog evenly.
CLAIM_SIZE = 20
# For a message "sending", next_attempt_at is the end of its claim's lease.
DUE_STATUSES = (Message.Status.QUEUED, Message.Status.RETRY, Message.Status.SENDING)


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def describe_error(exc: BaseException) -> str:
    """A reason staff can act on that never contains an address.

    SMTP exceptions carry the refused recipients in their arguments, so only
    the class name and the server's reply code are kept.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        return f"recipient refused (SMTP {', '.join(codes)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} (SMTP {exc.smtp_code})"
    return type(exc).__name__


def due(now: object) -> QuerySet[Message]:
    """Messages a sender may claim now (see the module's docstring)."""
    return Message.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)


def claim(token: str, size: int = CLAIM_SIZE) -> list[int]:
    """Take up to ``size`` due messages for the sender ``token``; their ids, oldest first."""
    now = timezone.now()
    if not due(now).exists():  # a read, no write lock: what an idle worker does every look
        return []
    with database_write_lock(), transaction.atomic():
        ids = list(
            due(now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(
                status=Message.Status.SENDING,
                claimed_by=token,
                attempts=F("attempts") + 1,
                next_attempt_at=now + lease(),
            )
    return ids


def renew(token: str, ids: list[int]) -> None:
    """Extend the lease of the messages this sender still holds."""
    with database_write_lock():
        Message.objects.filter(pk__in=ids, claimed_by=token, status=Message.Status.SENDING).update(
            next_attempt_at=timezone.now() + lease()
        )


@dataclass
class Outcome:
    """What became of one message."""

    status: str
    fields: dict[str, object] = field(default_factory=dict)


def send_due(
    size: int = CLAIM_SIZE,
    stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Claim due messages and send them, recording each at once; how many were claimed.

    ``stop`` is asked between messages; what is left of the claim when it
    says yes is given back.
    """
    token = uuid.uuid4().hex
    ids = claim(token, size)
    if not ids:
        return 0
    renewed = clock()
    claimed = (
        Message.objects.filter(pk__in=ids, claimed_by=token, status=Message.Status.SENDING)
        .order_by("next_attempt_at", "pk")
        .select_related("signature__petition__campaign")
        .prefetch_related("signature__petition__texts")
    )
    messages = list(claimed)
    mailed: set[int] = set()
    # Most deployments never get a bounce report (SMTP has no webhooks): one query per
    # claim then spares every message the canonical form, hash and lookup of its address.
    bounces = Undeliverable.objects.exists()
    backend = get_connection()
    mark = pace.cpu()
    try:
        for number, message in enumerate(messages):
            if stop():
                _give_back(token, [m.pk for m in messages[number:]])
                break
            if clock() - renewed > settings.OUTBOX_LEASE_SECONDS / 3:
                renew(token, [m.pk for m in messages[number:]])
                renewed = clock()
            _record(message, _send_one(message, backend, mailed, bounces), token)
            mark = pace.after_message(mark)
    finally:
        backend.close()
    return len(ids)


def _give_back(token: str, ids: list[int]) -> None:
    """Return unsent claimed messages to the queue, as they were (the attempt did not count)."""
    with database_write_lock():
        Message.objects.filter(pk__in=ids, claimed_by=token, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED,
            claimed_by="",
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now(),
        )


def _record(message: Message, outcome: Outcome, token: str) -> None:
    """Write one message's outcome, if the message is still this sender's.

    A finished message loses its recipient (the database insists); one to
    be retried keeps it.
    """
    values: dict[str, object] = {
        "status": outcome.status,
        "claimed_by": "",
        "recipient_encrypted": (
            message.recipient_encrypted if outcome.status == Message.Status.RETRY else ""
        ),
        **outcome.fields,
    }
    with database_write_lock():
        updated = Message.objects.filter(
            pk=message.pk, claimed_by=token, status=Message.Status.SENDING
        ).update(**values)
    if not updated:
        logger.warning("outbox message %s was taken over by another sender", message.pk)


def _recently_mailed(message: Message, mailed: set[int]) -> bool:
    if not settings.REPEAT_MAIL_MINUTES or message.signature_id is None:
        return False
    if message.signature_id in mailed:
        return True
    since = timezone.now() - timedelta(minutes=settings.REPEAT_MAIL_MINUTES)
    return (
        Message.objects.filter(
            signature_id=message.signature_id, status=Message.Status.SENT, sent_at__gte=since
        )
        .exclude(pk=message.pk)
        .exists()
    )


def undeliverable(recipient: str) -> bool:
    """Whether a provider reported this address as bouncing or complaining."""
    try:
        digest = email_hash(canonicalize(recipient), settings.SIGNER_HASH_KEY)
    except InvalidEmail:
        return False
    return Undeliverable.objects.filter(email_hash=digest).exists()


def _send_one(
    message: Message, backend: BaseEmailBackend, mailed: set[int], bounces: bool = True
) -> Outcome:
    if message.kind == Message.Kind.SIGNATURE_REPEAT and _recently_mailed(message, mailed):
        return Outcome(Message.Status.WITHHELD, {"last_error": "mailed recently"})
    try:
        recipient = crypto.decrypt(message.recipient_encrypted)
    except InvalidToken:
        # No configured key opens it (a key was removed before rotation): it
        # can never be sent, so stop and wipe rather than retry for ever.
        logger.error("outbox message %s failed: no key decrypts its recipient", message.pk)
        return Outcome(Message.Status.FAILED, {"last_error": "cannot decrypt recipient"})
    if bounces and undeliverable(recipient):
        # A provider reported a hard bounce or a complaint for it (outbox/bounces.py).
        return Outcome(Message.Status.WITHHELD, {"last_error": "address undeliverable"})
    message_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")
    try:
        rendered = render(message)
        if rendered is None:
            return Outcome(Message.Status.WITHHELD, {"last_error": "no longer needed"})
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            headers={
                "Message-ID": message_id,
                "Auto-Submitted": "auto-generated",
                **dict(rendered.headers),
            },
            connection=backend,
        )
        # Read by a provider's backend (django-anymail) and returned in its bounce and
        # complaint webhooks; the SMTP backend ignores it.
        email.metadata = {"outbox": str(message.pk)}  # type: ignore[attr-defined]
        email.attach_alternative(rendered.html, "text/html")
        for attachment in rendered.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
        email.send()
    except Exception as exc:
        reason = describe_error(exc)
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            logger.error("outbox message %s failed for good: %s", message.pk, reason)
            return Outcome(Message.Status.FAILED, {"last_error": reason})
        logger.warning("outbox message %s will be retried: %s", message.pk, reason)
        retry_at = timezone.now() + retry_delay(message.attempts)
        return Outcome(Message.Status.RETRY, {"last_error": reason, "next_attempt_at": retry_at})
    if message.signature_id is not None:
        mailed.add(message.signature_id)
    return Outcome(
        Message.Status.SENT, {"sent_at": timezone.now(), "message_id": message_id, "last_error": ""}
    )

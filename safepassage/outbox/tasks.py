"""Sending outbox messages over SMTP, with retries and visible failures."""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from safepassage.lib import crypto
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.mail import render
from safepassage.outbox.models import Message
from safepassage.outbox.pacing import pace

logger = logging.getLogger(__name__)

# A claimed message not finished within this time is offered again (its
# sender is presumed dead); see housekeeping().
LEASE = timedelta(minutes=15)


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


@dataclass
class Outcome:
    """What became of one message; written for the whole batch in one transaction."""

    message: Message
    status: str
    fields: dict[str, object] = field(default_factory=dict)


@task()
def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Send the given messages that are still due; safe to run twice.

    The outcomes are recorded together at the end, in one transaction: on
    SQLite every separate write would queue for the lock behind the signing
    commits. A crash before that point leaves the messages "sending" until
    their lease expires, and they are sent again (at least once, not at most).
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    with database_write_lock():
        Message.objects.filter(
            pk__in=message_ids,
            status__in=[Message.Status.QUEUED, Message.Status.RETRY],
            next_attempt_at__lte=now,
        ).update(
            status=Message.Status.SENDING,
            claimed_by=token,
            attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE,
        )
    claimed = (
        Message.objects.filter(claimed_by=token, status=Message.Status.SENDING)
        .select_related("signature__petition__campaign")
        .prefetch_related("signature__petition__texts")
    )
    outcomes: list[Outcome] = []
    mailed: set[int] = set()
    connection = get_connection()
    mark = pace.cpu()
    try:
        for message in claimed:
            outcomes.append(_send_one(message, connection, mailed))
            mark = pace.after_message(mark)
    finally:
        connection.close()
        _record(outcomes, token)
    return dict(Counter(outcome.status for outcome in outcomes))


# Written for every outcome; the last column is the claim the row must still carry.
_RECORDED = ["status", "recipient_encrypted", "last_error", "sent_at", "message_id"]
_RECORDED += ["next_attempt_at"]


def _record(outcomes: list[Outcome], token: str) -> None:
    """Write the outcomes of one task, where the messages are still this task's.

    The parameters are prepared before the write lock is taken and written
    with one prepared UPDATE per row (``executemany``): on SQLite the lock
    is held for a few milliseconds, not for the ORM's compiling of a CASE
    expression per field and row (0.2 s of CPU for 200 messages, during
    which the signing writer waited).
    """
    if not outcomes:
        return
    by_name = {field.name: field for field in Message._meta.concrete_fields}
    fields = [by_name[name] for name in _RECORDED]
    rows = []
    for outcome in outcomes:
        message = outcome.message
        values = {
            "status": outcome.status,
            "recipient_encrypted": (
                message.recipient_encrypted if outcome.status == Message.Status.RETRY else ""
            ),
            "last_error": message.last_error,
            "sent_at": message.sent_at,
            "message_id": message.message_id,
            "next_attempt_at": message.next_attempt_at,
            **outcome.fields,
        }
        rows.append(
            [field.get_db_prep_save(values[field.name], connection) for field in fields]
            + [message.pk, token]
        )
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only the model's own table and column names are formatted in; values are parameters.
    sql = (
        f"UPDATE {quote(Message._meta.db_table)} "  # noqa: S608
        f"SET {assignments}, {quote('claimed_by')} = '' "
        f"WHERE {quote('id')} = %s AND {quote('claimed_by')} = %s"
    )
    with database_write_lock(), transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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


def _send_one(message: Message, connection: BaseEmailBackend, mailed: set[int]) -> Outcome:
    if message.kind == Message.Kind.SIGNATURE_REPEAT and _recently_mailed(message, mailed):
        return Outcome(message, Message.Status.WITHHELD, {"last_error": "mailed recently"})
    try:
        recipient = crypto.decrypt(message.recipient_encrypted)
    except InvalidToken:
        # No configured key opens it (a key was removed before rotation): it
        # can never be sent, so stop and wipe rather than retry for ever.
        logger.error("outbox message %s failed: no key decrypts its recipient", message.pk)
        return Outcome(message, Message.Status.FAILED, {"last_error": "cannot decrypt recipient"})
    message_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")
    try:
        rendered = render(message)
        if rendered is None:
            return Outcome(message, Message.Status.WITHHELD, {"last_error": "no longer needed"})
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
            connection=connection,
        )
        email.attach_alternative(rendered.html, "text/html")
        for attachment in rendered.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
        email.send()
    except Exception as exc:
        reason = describe_error(exc)
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            logger.error("outbox message %s failed for good: %s", message.pk, reason)
            return Outcome(message, Message.Status.FAILED, {"last_error": reason})
        logger.warning("outbox message %s will be retried: %s", message.pk, reason)
        retry_at = timezone.now() + retry_delay(message.attempts)
        return Outcome(
            message, Message.Status.RETRY, {"last_error": reason, "next_attempt_at": retry_at}
        )
    if message.signature_id is not None:
        mailed.add(message.signature_id)
    sent = {"sent_at": timezone.now(), "message_id": message_id, "last_error": ""}
    return Outcome(message, Message.Status.SENT, sent)


# A queued message whose task has not run this long after it was offered is
# presumed to have lost its task and is offered again.
LOST_AFTER = timedelta(minutes=10)


def requeue_due(now: datetime | None = None, batch: int = 200) -> int:
    """Offer again what is due: retries, expired leases, and queued mail whose task was lost.

    A message offered here becomes "queued" with next_attempt_at = now, so a
    later sweep offers it again only once LOST_AFTER has passed: a backlog
    does not pile up one duplicate task per message per sweep.
    """
    now = now or timezone.now()
    Message.objects.filter(status=Message.Status.SENDING, next_attempt_at__lte=now).update(
        status=Message.Status.RETRY, claimed_by=""
    )
    retries = Message.objects.filter(status=Message.Status.RETRY, next_attempt_at__lte=now)
    lost = Message.objects.filter(
        status=Message.Status.QUEUED, next_attempt_at__lte=now - LOST_AFTER
    )
    due = list(retries.values_list("pk", flat=True)) + list(lost.values_list("pk", flat=True))
    for start in range(0, len(due), batch):
        ids = due[start : start + batch]
        Message.objects.filter(
            pk__in=ids, status__in=[Message.Status.RETRY, Message.Status.QUEUED]
        ).update(status=Message.Status.QUEUED, next_attempt_at=now)
        send_messages.enqueue(ids)
    return len(due)


def prune_task_results(keep: timedelta = timedelta(days=1)) -> int:
    """Finished task rows only say which message ids were sent; keep them a day."""
    cutoff = timezone.now() - keep
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted

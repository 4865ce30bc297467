"""Sending an update, testing it, unsubscribing, and the report as an update.

Sending marks the update and starts a background task (``queue_update``)
that writes one outbox Message per recipient, a batch per short
transaction, paced: the n-th message is due ``n / UPDATE_MAIL_PER_MINUTE``
minutes after the click, so the outbox's senders (claims, leases, retries,
the surge pacing) send it at that rate at most, and mail queued meanwhile (a
confirmation mail, due at once) goes before the rest of the update. Each message carries
the recipient's address only as the ciphertext its signature or RSVP already
holds (a coordinator's is encrypted here); the sender decrypts it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from safepassage.campaigns.models import Campaign
from safepassage.events.models import RSVP
from safepassage.lib import crypto, links
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders
from safepassage.reports.models import AfterActionReport
from safepassage.signatures.models import Signature
from safepassage.updates import audience
from safepassage.updates.models import Unsubscribe, Update, UpdateRecipient, UpdateText

logger = logging.getLogger(__name__)

BATCH = 1000
TOKEN_NAMESPACE = "safepassage.updates"  # noqa: S105  (a salt, not a secret)


class UpdateError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Sending ------------------------------------------------------------------------


def _language(update: Update, language: str, available: set[str]) -> str:
    for candidate in (language, language.split("-")[0], update.default_language):
        if candidate in available:
            return candidate
    return sorted(available)[0]


def _batch(update: Update) -> list[dict[str, Any]]:
    """The next recipients after the update's cursor: whom each refers to, address, language."""
    after = update.cursor
    if update.audience in audience.CHOICES:
        rows = audience.signatures(update).filter(pk__gt=after).order_by("pk")[:BATCH]
        return [
            {"pk": pk, "signature_id": pk, "recipient_encrypted": encrypted, "language": language}
            for pk, encrypted, language in rows.values_list("pk", "email_encrypted", "language")
        ]
    if update.audience == Update.Audience.RSVPS:
        found = audience.rsvps(update).filter(pk__gt=after).order_by("pk")[:BATCH]
        return [
            {"pk": pk, "rsvp_id": pk, "recipient_encrypted": encrypted, "language": language}
            for pk, encrypted, language in found.values_list("pk", "email_encrypted", "language")
        ]
    return [
        {
            "pk": user.pk,
            "user": user,
            "recipient_encrypted": crypto.encrypt(user.email),
            "language": update.default_language,
        }
        for user in audience.coordinators(update)
        if user.pk > after
    ][:BATCH]


def problems(update: Update) -> list[str]:
    """What stops the update from being sent; empty when it can go."""
    found = []
    if update.status != Update.Status.DRAFT:
        found.append(_("This update has been sent already."))
    if not update.texts.exists():
        found.append(_("Write the update in at least one language first."))
    if update.audience == Update.Audience.RSVPS and update.event_id is None:
        found.append(_("Choose the event whose RSVP-ers get the update."))
    return found


def send(update: Update, user: Any) -> int:
    """Send the update, once: a background task queues its messages; how many people now."""
    found = problems(update)
    if found:
        raise UpdateError(" ".join(found))
    expected = audience.count(update)
    with database_write_lock(), transaction.atomic():
        won = Update.objects.filter(pk=update.pk, status=Update.Status.DRAFT).update(
            status=Update.Status.QUEUING, queued_at=timezone.now(), queued_by=user
        )
        if not won:
            raise UpdateError(_("This update has been sent already."))
        transaction.on_commit(lambda: queue_update.enqueue(update.pk))
    update.refresh_from_db()
    return expected


def queue(update_id: int) -> int:
    """Put the update's messages into the outbox, a batch per transaction; how many this run.

    Idempotent and safe to re-run after a crash: each batch moves the
    update's cursor in the transaction that writes its messages, and only if
    the cursor is still where this run found it, so two runs never queue one
    person twice. Recipients are taken in primary-key order; the n-th message
    is due n / UPDATE_MAIL_PER_MINUTE minutes after the click (the pace).
    """
    total = 0
    while True:
        update = Update.objects.filter(pk=update_id).first()
        if update is None or update.status != Update.Status.QUEUING:
            return total
        rows = _batch(update)
        with database_write_lock(), transaction.atomic():
            if not rows:
                Update.objects.filter(pk=update.pk, status=Update.Status.QUEUING).update(
                    status=Update.Status.QUEUED
                )
                logger.info("update %s queued for %d recipients", update.pk, update.recipients)
                return total
            moved = Update.objects.filter(
                pk=update.pk, status=Update.Status.QUEUING, cursor=update.cursor
            ).update(cursor=rows[-1]["pk"], recipients=F("recipients") + len(rows))
            if not moved:
                return total  # another run got here first; it goes on
            _write(update, rows)
            wake_senders()
        total += len(rows)


def _write(update: Update, rows: list[dict[str, Any]]) -> None:
    available = set(update.texts.values_list("language", flat=True))
    rate = settings.UPDATE_MAIL_PER_MINUTE
    step = timedelta(minutes=1 / rate) if rate else timedelta(0)
    start = update.queued_at or timezone.now()
    messages = Message.objects.bulk_create(
        [
            Message(
                kind=Message.Kind.UPDATE,
                signature_id=row.get("signature_id"),
                rsvp_id=row.get("rsvp_id"),
                recipient_encrypted=row["recipient_encrypted"],
                language=_language(update, row["language"], available),
                next_attempt_at=start + step * (update.recipients + number),
            )
            for number, row in enumerate(rows)
        ]
    )
    UpdateRecipient.objects.bulk_create(
        [
            UpdateRecipient(update=update, message=message, user=row.get("user"))
            for message, row in zip(messages, rows, strict=True)
        ]
    )


@task()
def queue_update(update_id: int) -> dict[str, int]:
    return {"queued": queue(update_id)}


def send_test(update: Update, user: Any, language: str) -> None:
    """Mail the update, in this language, to the organiser's own account address."""
    if not user.email:
        raise UpdateError(_("Your account has no e-mail address."))
    if not update.texts.filter(language=language).exists():
        raise UpdateError(_("The update has no text in this language."))
    with database_write_lock(), transaction.atomic():
        message = Message.objects.create(
            kind=Message.Kind.UPDATE,
            recipient_encrypted=crypto.encrypt(user.email),
            language=language,
        )
        UpdateRecipient.objects.create(update=update, message=message, user=user, test=True)
        wake_senders()


def progress(update: Update) -> dict[str, int]:
    """How many of the update's messages are waiting, sent, failed or withheld."""
    rows = (
        Message.objects.filter(pk__in=update.deliveries.filter(test=False).values("message_id"))
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    waiting = sum(counts.get(s, 0) for s in (Message.Status.QUEUED, Message.Status.RETRY))
    return {
        "queued": waiting + counts.get(Message.Status.SENDING, 0),
        "sent": counts.get(Message.Status.SENT, 0),
        "failed": counts.get(Message.Status.FAILED, 0),
        "withheld": counts.get(Message.Status.WITHHELD, 0),
    }


# --- Unsubscribing ------------------------------------------------------------------


def _token_value(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


def unsubscribe_url(kind: str, ref: str) -> str:
    token = links.make_token(TOKEN_NAMESPACE, "unsubscribe", _token_value(kind, ref))
    return settings.SITE_URL + reverse("updates:unsubscribe", args=[kind, ref, token])


def check_token(kind: str, ref: str, token: str) -> bool:
    return links.check_token(TOKEN_NAMESPACE, "unsubscribe", _token_value(kind, ref), token)


def coordinator_ref(user_id: int, campaign_id: int) -> str:
    return f"{user_id}-{campaign_id}"


def _withhold(**about: int) -> None:
    Message.objects.filter(
        kind=Message.Kind.UPDATE, status__in=Message.PENDING_STATUSES, **about
    ).update(status=Message.Status.WITHHELD, recipient_encrypted="")


def unsubscribe(kind: str, ref: str, via: str) -> bool:
    """Stop the mail this link's recipient gets, at once; False if there was nothing to stop.

    A signer's contact choice becomes "only count my signature" and the
    encrypted address is erased (the signature still counts); an RSVP no
    longer may be contacted and loses its address; a coordinator gets no
    more updates of the campaign. Unsent updates to them are withheld. Each
    change is recorded in ``Unsubscribe``.
    """
    with database_write_lock(), transaction.atomic():
        if kind == Unsubscribe.Kind.SIGNATURE:
            signature = Signature.objects.filter(uuid=ref).select_related("petition").first()
            if signature is None or signature.contact == Signature.Contact.COUNT_ONLY:
                return False
            Signature.objects.filter(pk=signature.pk).update(
                contact=Signature.Contact.COUNT_ONLY, email_encrypted=""
            )
            _withhold(signature_id=signature.pk)
            campaign_id, pk, previous = (
                signature.petition.campaign_id,
                signature.pk,
                signature.contact,
            )
            user_id = None
        elif kind == Unsubscribe.Kind.RSVP:
            rsvp = RSVP.objects.filter(uuid=ref).select_related("event").first()
            if rsvp is None or not rsvp.contact_ok:
                return False
            RSVP.objects.filter(pk=rsvp.pk).update(contact_ok=False, email_encrypted="")
            _withhold(rsvp_id=rsvp.pk)
            campaign_id, pk, previous, user_id = rsvp.event.campaign_id, rsvp.pk, "contact", None
        elif kind == Unsubscribe.Kind.COORDINATOR:
            user_part, _sep, campaign_part = ref.partition("-")
            user_id, campaign_id = int(user_part), int(campaign_part)
            if (
                Unsubscribe.objects.filter(
                    campaign_id=campaign_id, kind=kind, user_id=user_id
                ).exists()
                or not Campaign.objects.filter(pk=campaign_id).exists()
            ):
                return False
            Message.objects.filter(
                pk__in=UpdateRecipient.objects.filter(
                    user_id=user_id, update__campaign_id=campaign_id, test=False
                ).values("message_id"),
                status__in=Message.PENDING_STATUSES,
            ).update(status=Message.Status.WITHHELD, recipient_encrypted="")
            pk, previous = user_id, ""
        else:
            return False
        Unsubscribe.objects.create(
            campaign_id=campaign_id, kind=kind, ref=pk, user_id=user_id, previous=previous, via=via
        )
    logger.info("%s #%s unsubscribed from updates (%s)", kind, pk, via)
    return True


# --- The report as an update ------------------------------------------------------------


def from_report(campaign: Campaign, user: Any) -> Update:
    """A draft update that links the published after-action report and sums it up."""
    report = AfterActionReport.objects.filter(
        campaign=campaign, status=AfterActionReport.Status.PUBLISHED
    ).first()
    if report is None:
        raise UpdateError(_("Publish the after-action report first."))
    petition = campaign.petitions.order_by("pk").first()
    language = petition.default_language if petition else settings.LANGUAGE_CODE
    frozen = report.snapshot or {}
    totals = (frozen.get("data") or {}).get("totals") or {}
    url = settings.SITE_URL + reverse("reports:report", args=[campaign.slug])
    with translation.override(language):
        summary = _(
            "%(signatures)s signatures from %(countries)s countries; the petition was "
            "delivered to %(deliveries)s embassies and consulates, with events in "
            "%(cities)s cities."
        ) % {
            "signatures": totals.get("signatures", 0),
            "countries": totals.get("countries", 0),
            "deliveries": totals.get("deliveries", 0),
            "cities": totals.get("cities", 0),
        }
        introduction = (frozen.get("introduction") or "").strip().split("\n\n")[0]
        body = "\n\n".join(
            part
            for part in (
                introduction,
                summary,
                "[%s](%s)" % (_("Read the whole report"), url),  # noqa: UP031
            )
            if part
        )
        subject = str(frozen.get("title") or report.title)[:200]
    with transaction.atomic():
        update = Update.objects.create(
            campaign=campaign,
            audience=Update.Audience.UPDATES,
            default_language=language,
            created_by=user,
        )
        UpdateText.objects.create(update=update, language=language, subject=subject, body=body)
    return update

"""Delivering the petition by e-mail: one message per delivery, and its outcome.

``send_by_email`` puts one message in the outbox with the packet attached
(or a link to it); ``send_current_packet`` attaches the mission's current
built packet (``packets/current.py``) and refuses one that is out of date,
failed or not built yet; ``sync_email_deliveries`` records the outcome once the
worker has sent it or given up. Who may do it, and how a change is saved
and kept in the history, are the rules of services.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from safepassage.deliveries import packets
from safepassage.deliveries.models import Delivery
from safepassage.deliveries.permissions import can_manage_delivery
from safepassage.deliveries.services import DONE, Status, change_reason, clean_sha256, save_change
from safepassage.deliveries.signals import delivery_recorded
from safepassage.lib import crypto
from safepassage.lib.uploads import is_pdf
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders
from safepassage.packets import current
from safepassage.packets.current import MissionPacket


class AlreadySent(ValidationError):
    """The delivery already has an e-mail that is sent or on its way."""


# A delivery whose e-mail ended in one of these may be e-mailed again.
UNSENT: frozenset[str] = frozenset({Message.Status.FAILED, Message.Status.WITHHELD})


def can_send_by_email(delivery: Delivery) -> bool:
    """Whether an e-mail may be sent now (ignoring who asks)."""
    if not delivery.mission.email or delivery.status in DONE:
        return False
    message = delivery.message
    return message is None or message.status in UNSENT


def send_by_email(
    delivery: Delivery,
    *,
    user: Any,
    packet: bytes | None,
    filename: str = "petition.pdf",
    link: str | None = None,
    packet_sha256: str = "",
    language: str = "en",
) -> Message:
    """Send the packet to the mission's e-mail address, once.

    Exactly one of ``packet`` (the PDF's bytes, attached as ``filename``) or
    ``link`` (where the mission can download it; ``packet_sha256`` may then
    name the file's hash) is given. The address is the mission's public one
    from the directory, but it goes through the outbox like any other: stored
    encrypted until the message is sent.

    Never twice: the message is linked to the delivery (``Delivery.message``,
    one-to-one) in the same transaction that creates it, with the row locked
    and only if the delivery had no message (or only one that finished
    unsent: failed or withheld). A second call, concurrent or not, raises
    AlreadySent and its transaction, message and task are rolled back. A
    delivery already recorded as done is not e-mailed.

    The delivery stays *planned* until the worker has sent the message;
    ``sync_email_deliveries`` then records it as *e-mailed* at the message's
    ``sent_at`` (and its Message-ID as proof), or as *failed*.
    """
    if (packet is None) == (not link):
        raise ValueError("send_by_email() takes a packet or a link, not both")
    sha = ""
    if packet is not None:
        if not is_pdf(packet):
            raise ValidationError({"packet": _("The packet must be a PDF.")})
        sha = hashlib.sha256(packet).hexdigest()
        filename = packets.safe_filename(filename)
    else:
        assert link is not None
        URLValidator(schemes=["https", "http"])(link)
        sha = clean_sha256(packet_sha256)
        filename = ""
    message_pk: int | None = None
    try:
        with transaction.atomic():
            locked = (
                Delivery.objects.select_for_update()
                .select_related("campaign", "mission")  # not the nullable message:
                .get(pk=delivery.pk)  # PostgreSQL locks no outer join
            )
            if not can_manage_delivery(user, locked):
                raise PermissionDenied
            previous = locked.message_id
            if locked.message is not None and locked.message.status not in UNSENT:
                raise AlreadySent(_("This delivery has already been e-mailed."))
            if locked.status in DONE:
                raise ValidationError(_("This delivery is already recorded as done."))
            address = locked.mission.email
            if not address:
                raise ValidationError(_("The directory has no e-mail address for this mission."))
            message = Message.objects.create(
                kind=Message.Kind.DELIVERY,
                recipient_encrypted=crypto.encrypt(address),
                language=language,
            )
            message_pk = message.pk
            # Compare-and-set: only the call that finds the delivery as it was
            # links its message. The row lock already serialises callers; this
            # holds even where it does not, and the one-to-one constraint
            # keeps a message from ever serving two deliveries.
            unchanged = Q(message__isnull=True) if previous is None else Q(message_id=previous)
            linked = Delivery.objects.filter(unchanged, pk=locked.pk).update(message=message)
            if linked != 1:
                raise AlreadySent(_("This delivery has already been e-mailed."))
            locked.message = message
            locked.packet_sha256 = sha
            save_change(locked, user, f"e-mail queued (message {message.pk})")
            packets.store(
                message.pk,
                packets.PacketInfo(filename=filename, sha256=sha, link=link or "", to=address),
                packet,
            )
            wake_senders()
    except BaseException:
        if message_pk is not None:
            packets.discard(message_pk)
        raise
    delivery.refresh_from_db()
    return message


def packet_problem(packet: MissionPacket) -> str | None:
    """Why the mission's current packet cannot be sent now, or None if it is ready."""
    state = packet.state
    if state == "ready":
        return None
    if state == "stale":
        assert packet.packet is not None
        return str(
            _(
                "The mission's packet is out of date (%(reason)s, since %(since)s UTC): "
                "signatures confirmed since it was built are not in it. Build it again, "
                "then send it."
            )
            % {
                "reason": packet.packet.get_stale_reason_display(),
                "since": f"{packet.stale_since:%Y-%m-%d %H:%M}" if packet.stale_since else "?",
            }
        )
    messages = {
        "none": _("No packet has been built for this mission yet: build it, then send it."),
        "building": _("The mission's packet is being built: send it once it is ready."),
        "waiting": _("The mission's packet is waiting to be built: build it, then send it."),
        "failed": _("The mission's packet could not be built: build it again, then send it."),
        "closed": _("The mission is closed: it gets no packet."),
    }
    return str(messages[state])


def send_current_packet(delivery: Delivery, *, user: Any, language: str = "en") -> Message:
    """E-mail the mission's current packet, as built, under its human name.

    Refused (ValidationError) unless that packet is built and up to date:
    a packet out of date lacks signatures or prints what must not be handed
    over any more.
    """
    packet = current.mission_packet(delivery.campaign, delivery.mission)
    problem = packet_problem(packet)
    if problem is not None:
        raise ValidationError(problem, code="packet_not_ready")
    return send_by_email(
        delivery, user=user, packet=packet.read(), filename=packet.filename, language=language
    )


def _sender(delivery: Delivery, message: Message) -> Any:
    row = delivery.history.filter(message_id=message.pk).order_by("history_date").first()
    return row.history_user if row is not None else None


def sync_email_deliveries(within: QuerySet[Delivery] | None = None) -> dict[str, int]:
    """Record the outcome of e-mail deliveries the worker has finished.

    A delivery whose message was sent becomes *e-mailed*, at the message's
    ``sent_at``, recorded for (and, unless already filled in, delivered by)
    the user who sent it, with the Message-ID in
    the history's change reason (and on the delivery page, from the
    message). One whose message failed or was withheld becomes *failed*.

    Each outcome is recorded once: a delivery whose history already shows
    it (this message, that status) is left as an organiser may since have
    corrected it, and a delivery recorded as done another way meanwhile
    (handed over in person) keeps that status. Safe to run at any time and
    from several processes.
    """
    counts = {"emailed": 0, "failed": 0}
    # The admin action passes the deliveries the user may see: no other campaign's is touched.
    deliveries = Delivery.objects.all() if within is None else within
    sent = deliveries.filter(
        message__status=Message.Status.SENT,
        status__in=[Status.PLANNED, Status.FAILED, Status.REFUSED],
    ).values_list("pk", flat=True)
    unsent = deliveries.filter(message__status__in=list(UNSENT), status=Status.PLANNED).values_list(
        "pk", flat=True
    )
    for pk in list(sent):
        if _sync_one(pk, sent=True):
            counts["emailed"] += 1
    for pk in list(unsent):
        if _sync_one(pk, sent=False):
            counts["failed"] += 1
    return counts


def _sync_one(pk: int, *, sent: bool) -> bool:
    target = Status.EMAILED if sent else Status.FAILED
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=pk).first()
        if delivery is None or delivery.message is None:
            return False
        message = delivery.message
        if sent:
            if message.status != Message.Status.SENT or delivery.status in DONE:
                return False
        elif message.status not in UNSENT or delivery.status != Status.PLANNED:
            return False
        if delivery.history.filter(message_id=message.pk, status=target).exists():
            return False
        sender = _sender(delivery, message)
        delivery.status = target
        if sent:
            delivery.delivered_at = message.sent_at
            if not delivery.delivered_by and sender is not None:
                delivery.delivered_by = (sender.get_full_name() or sender.get_username())[:200]
            reason = f"e-mailed, Message-ID {message.message_id}"
        else:
            reason = f"e-mail not sent: {message.last_error or message.status}"
        delivery.updated_by = sender
        if sender is not None:
            delivery._history_user = sender  # type: ignore[attr-defined]
        delivery._change_reason = change_reason(reason)  # type: ignore[attr-defined]
        delivery.save()
        delivery_recorded.send(
            Delivery, campaign_id=delivery.campaign_id, delivery_id=delivery.pk, status=target
        )
    return True

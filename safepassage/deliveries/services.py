"""The rules of delivering the petition to missions; views and the admin only call these.

A campaign has one Delivery per mission of its target government
(``plan_deliveries``). Each starts *planned* and is then recorded as
delivered in person, posted, faxed, e-mailed, refused or failed
(``record``). Who may do that:

- organisers of the campaign (and superusers), for every delivery and every
  status: they also *correct* a recorded delivery (any status to any other,
  back to planned included);
- city coordinators, for the deliveries their scope covers
  (``accounts.permissions.deliveries_for``), only while the delivery is
  planned or failed: a failed attempt may be followed by another, but what
  was recorded as done or refused is corrected by an organiser.

Every change is saved through the model, so django-simple-history keeps a
row with the user who made it, and the row's change reason says what
happened when it was not a plain edit (an e-mail queued, sent or failed).

E-mail delivery (``send_by_email``) puts one message in the outbox with the
packet attached (or a link to it); ``sync_email_deliveries`` records the
outcome once the worker has sent it or given up.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.permissions import can_manage_delivery, is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.deliveries import packets
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.deliveries.uploads import CleanFile, is_pdf
from safepassage.directory.models import Mission
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders

Status = Delivery.Status
DONE = frozenset(Delivery.DONE)
# A time is required for these: the model's constraint says so too.
TIMED = DONE | {Status.REFUSED}
# Coordinators record from these; anything else is a correction.
OPEN_STATUSES = frozenset({Status.PLANNED, Status.FAILED})

SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Clocks of phones and servers differ a little; more than this is a typo.
FUTURE_TOLERANCE = timedelta(minutes=10)
# history_change_reason is a CharField(max_length=100).
REASON_LENGTH = 100


class AlreadySent(ValidationError):
    """The delivery already has an e-mail that is sent or on its way."""


# --- Planning ---------------------------------------------------------------


def plan_deliveries(campaign: Campaign, *, user: Any = None) -> int:
    """Create the planned deliveries for every open mission of the target government.

    Idempotent: missions that already have a delivery are left alone (whatever
    its status), and two runs at once cannot create one twice (the database
    holds one delivery per campaign and mission). Deliveries of missions that
    have closed since are kept: they may already record something. Returns
    how many deliveries were created.
    """
    missions = Mission.objects.of(campaign.target_government).open().order_by("pk")
    existing = set(Delivery.objects.filter(campaign=campaign).values_list("mission_id", flat=True))
    created = 0
    for mission in missions:
        if mission.pk in existing:
            continue
        delivery = Delivery(campaign=campaign, mission=mission)
        if user is not None and getattr(user, "is_authenticated", False):
            delivery.updated_by = user
            delivery._history_user = user  # type: ignore[attr-defined]
        delivery._change_reason = "planned"  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:
            # Another run planned this one meanwhile.
            continue
        created += 1
    return created


# --- Recording --------------------------------------------------------------


def allowed_statuses(user: Any, delivery: Delivery) -> list[str]:
    """The statuses this user may record for this delivery now (none: read only)."""
    if is_organiser(user, delivery.campaign_id):
        return list(Status.values)
    if delivery.status in OPEN_STATUSES and can_manage_delivery(user, delivery):
        return [s for s in Status.values if s != Status.PLANNED]
    return []


@dataclass(frozen=True)
class Recorded:
    """Field values that passed the rules, ready to be saved."""

    status: str
    delivered_by: str
    delivered_at: datetime | None
    received_by: str
    notes: str
    packet_sha256: str


def clean_sha256(value: str) -> str:
    value = (value or "").strip().lower()
    if value and not SHA256.match(value):
        raise ValidationError(
            {"packet_sha256": _("A SHA-256 is 64 hexadecimal characters (0-9, a-f).")}
        )
    return value


def check(
    status: str,
    *,
    by: str = "",
    at: datetime | None = None,
    received_by: str = "",
    notes: str = "",
    packet_sha256: str = "",
    now: datetime | None = None,
) -> Recorded:
    """Apply the rules of a status to the values recorded with it.

    - Every status except *planned* and *failed* needs the time it happened
      (``at``, an aware datetime not in the future); *planned* keeps no time.
    - *Delivered in person* needs who delivered it (a name, a team, "Seoul
      volunteers"): the person or team that can vouch for it.
    - *Refused* and *failed* need a note saying what happened (who refused,
      what was said, why the post or fax did not go through); who received
      or refused it stays optional, as an official often gives no name.
      *Failed* takes a time when one is known.
    - The packet's SHA-256, when given, is 64 hexadecimal characters.
    """
    errors: dict[str, list[Any]] = {}
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    by, received_by, notes = by.strip(), received_by.strip(), notes.strip()
    for name, value in (("delivered_by", by), ("received_by", received_by)):
        if len(value) > 200:
            errors.setdefault(name, []).append(_("At most 200 characters."))
    if at is not None and timezone.is_naive(at):
        raise ValueError("record() needs an aware datetime")
    now = now or timezone.now()
    if status == Status.PLANNED:
        at = None
    elif status in TIMED and at is None:
        errors.setdefault("delivered_at", []).append(_("Say when it happened."))
    if at is not None and at > now + FUTURE_TOLERANCE:
        errors.setdefault("delivered_at", []).append(_("This time is in the future."))
    if status == Status.IN_PERSON and not by:
        errors.setdefault("delivered_by", []).append(_("Say who handed the petition over."))
    if status in (Status.REFUSED, Status.FAILED) and not notes:
        errors.setdefault("notes", []).append(_("Say what happened."))
    try:
        sha = clean_sha256(packet_sha256)
    except ValidationError as error:
        errors.update(error.message_dict)
        sha = ""
    if errors:
        raise ValidationError(errors)
    return Recorded(status, by, at, received_by, notes, sha)


def _reason(text: str) -> str:
    return text[:REASON_LENGTH]


def _save(delivery: Delivery, user: Any, reason: str | None = None) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        delivery.updated_by = user
        delivery._history_user = user  # type: ignore[attr-defined]
    if reason:
        delivery._change_reason = _reason(reason)  # type: ignore[attr-defined]
    delivery.save()


def record(
    delivery: Delivery,
    status: str,
    *,
    by: str = "",
    at: datetime | None = None,
    received_by: str = "",
    notes: str = "",
    packet_sha256: str = "",
    user: Any,
    seen: datetime | None = None,
) -> Delivery:
    """Record what happened to a delivery (see ``check`` for the rules of each status).

    ``user`` must manage the delivery (PermissionDenied otherwise) and may
    only record the statuses ``allowed_statuses`` gives them: a coordinator
    cannot change a delivery that is done or refused, an organiser can
    correct anything. ``seen`` is the ``updated_at`` the user's form was
    built from: if someone else changed the delivery since, nothing is saved
    and a ValidationError says so. Returns the saved delivery; its history
    row carries ``user``.
    """
    values = check(
        status,
        by=by,
        at=at,
        received_by=received_by,
        notes=notes,
        packet_sha256=packet_sha256,
    )
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("campaign").get(pk=delivery.pk)
        if not can_manage_delivery(user, locked):
            raise PermissionDenied
        if values.status not in allowed_statuses(user, locked):
            raise PermissionDenied(_t("Only an organiser can correct a recorded delivery."))
        if seen is not None and locked.updated_at != seen:
            raise ValidationError(
                _("Someone else changed this delivery meanwhile. Check it and record again.")
            )
        locked.status = values.status
        locked.delivered_by = values.delivered_by
        locked.delivered_at = values.delivered_at
        locked.received_by = values.received_by
        locked.notes = values.notes
        locked.packet_sha256 = values.packet_sha256
        _save(locked, user)
    return locked


# --- Evidence and responses -------------------------------------------------


def _require_manager(user: Any, delivery: Delivery) -> None:
    if not can_manage_delivery(user, delivery):
        raise PermissionDenied


def add_evidence(
    delivery: Delivery,
    clean: CleanFile,
    *,
    kind: str,
    caption: str = "",
    publish: bool = False,
    user: Any,
) -> Evidence:
    """Attach a photo or receipt (already cleaned by ``uploads.clean_upload``).

    A photo must be an image; a receipt or scan may be an image or a PDF.
    """
    _require_manager(user, delivery)
    if kind not in Evidence.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of evidence.")})
    if kind == Evidence.Kind.PHOTO and clean.is_pdf:
        raise ValidationError({"file": _("A photo is an image; upload PDFs as a receipt or scan.")})
    evidence = Evidence(
        delivery=delivery,
        kind=kind,
        caption=caption.strip()[:300],
        publish=publish,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    upload = clean.as_file()
    evidence.file.save(upload.name or "evidence", upload, save=False)
    try:
        evidence.save()
    except BaseException:
        evidence.file.delete(save=False)
        raise
    return evidence


def set_evidence_publish(evidence: Evidence, publish: bool, *, user: Any) -> Evidence:
    _require_manager(user, evidence.delivery)
    evidence.publish = publish
    evidence.save(update_fields=["publish"])
    return evidence


def add_response(
    delivery: Delivery,
    *,
    received_on: Any,
    channel: str,
    summary: str,
    scan: CleanFile | None = None,
    user: Any,
) -> Response:
    """Record a mission's reply; a scan is cleaned like evidence before it comes here."""
    _require_manager(user, delivery)
    if channel not in Response.Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if not summary.strip():
        raise ValidationError({"summary": _("Summarise the reply.")})
    if received_on > timezone.localdate() + timedelta(days=1):
        raise ValidationError({"received_on": _("This date is in the future.")})
    response = Response(
        delivery=delivery,
        received_on=received_on,
        channel=channel,
        summary=summary.strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if scan is not None:
        upload = scan.as_file()
        response.scan.save(upload.name or "scan", upload, save=False)
    if getattr(user, "is_authenticated", False):
        response._history_user = user  # type: ignore[attr-defined]
    try:
        response.save()
    except BaseException:
        if response.scan:
            response.scan.delete(save=False)
        raise
    return response


# --- E-mail delivery --------------------------------------------------------

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
            _save(locked, user, f"e-mail queued (message {message.pk})")
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
        delivery._change_reason = _reason(reason)  # type: ignore[attr-defined]
        delivery.save()
    return True


# --- History ----------------------------------------------------------------

_TRACKED = [
    "status",
    "delivered_by",
    "delivered_at",
    "received_by",
    "notes",
    "packet_sha256",
    "message_id",
]


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    from_status: str
    to_status: str
    changed: list[str]
    reason: str


def history(delivery: Delivery) -> list[HistoryEntry]:
    """Every saved change, oldest first: who, when, status from -> to, fields changed."""
    labels = {s.value: s.label for s in Status}
    names = {
        "status": _t("status"),
        "delivered_by": _t("delivered by"),
        "delivered_at": _t("when"),
        "received_by": _t("received by"),
        "notes": _t("notes"),
        "packet_sha256": _t("packet SHA-256"),
        "message_id": _t("e-mail"),
    }
    rows = list(delivery.history.select_related("history_user").order_by("history_date", "pk"))
    entries = []
    previous = None
    for row in rows:
        if previous is None:
            changed: list[str] = []
            from_status = ""
        else:
            changed = [str(names[f]) for f in _TRACKED if getattr(row, f) != getattr(previous, f)]
            from_status = str(labels.get(previous.status, previous.status))
        user = row.history_user
        entries.append(
            HistoryEntry(
                when=row.history_date,
                who=(user.get_full_name() or user.get_username()) if user else _t("system"),
                from_status=from_status,
                to_status=str(labels.get(row.status, row.status)),
                changed=changed,
                reason=row.history_change_reason or "",
            )
        )
        previous = row
    return entries

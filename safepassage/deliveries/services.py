"""The rules of delivering the petition to missions; views and the admin only call these.

A campaign has one Delivery per mission of its target government
(``plan_deliveries``). Each starts *planned* and is then recorded as
delivered in person, posted, faxed, e-mailed, refused or failed
(``record``). Who may do that:

- organisers of the campaign (and superusers), for every delivery and every
  status: they also *correct* a recorded delivery (any status to any other,
  back to planned included);
- city coordinators, for the deliveries their scope covers
  (``deliveries.permissions.deliveries_for``), only while the delivery is
  planned or failed: a failed attempt may be followed by another, but what
  was recorded as done or refused is corrected by an organiser.

Every change is saved through the model, so django-simple-history keeps a
row with the user who made it, and the row's change reason says what
happened when it was not a plain edit (an e-mail queued, sent or failed).
Delivery by e-mail is in emailing.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.deliveries.permissions import can_manage_delivery
from safepassage.deliveries.signals import delivery_recorded
from safepassage.directory.models import Mission
from safepassage.lib.uploads import CleanFile

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


def change_reason(text: str) -> str:
    """A history row's change reason, cut to fit its column."""
    return text[:REASON_LENGTH]


def save_change(delivery: Delivery, user: Any, reason: str | None = None) -> None:
    """Save the delivery, its history row naming the user (and the reason, if any)."""
    if user is not None and getattr(user, "is_authenticated", False):
        delivery.updated_by = user
        delivery._history_user = user  # type: ignore[attr-defined]
    if reason:
        delivery._change_reason = change_reason(reason)  # type: ignore[attr-defined]
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
        save_change(locked, user)
        delivery_recorded.send(
            Delivery, campaign_id=locked.campaign_id, delivery_id=locked.pk, status=locked.status
        )
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

"""Proposing corrections to a mission and verifying them (models in proposals.py).

- ``can_propose``: a coordinator for the missions assigned to them (one by
  one, or in their assigned cities), a partner editor for any mission of the
  campaign's target government, organisers for any of them.
- ``propose``: the values, checked as an import would check them, with one
  piece of evidence.
- ``decide``: an organiser accepts some fields and rejects the others (a
  reason is needed when any is rejected); ``ask_more`` asks the proposer a
  question. The proposer is told by mail through the outbox.
- ``provenance``: per field, the current value, its latest verification or
  the mission's own source, for the team's pages and the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safepassage.accounts.models import Role
from safepassage.accounts.permissions import coordinator_scope, is_organiser, role_kinds
from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.directory.proposals import (
    DirectoryNotice,
    Field,
    MissionFieldVerification,
    Proposal,
    ProposedValue,
)
from safepassage.lib import crypto
from safepassage.lib.uploads import CleanFile
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders


def can_propose(user: Any, campaign: Campaign, mission: Mission) -> bool:
    if mission.sending_state != campaign.target_government:
        return False
    if is_organiser(user, campaign):
        return True
    if Role.Kind.PARTNER_EDITOR in role_kinds(user, campaign):
        return True
    scope = coordinator_scope(user, campaign)
    return mission.pk in scope.missions or scope.has_city(mission.host_country, mission.city)


def proposable_missions(user: Any, campaign: Campaign) -> list[Mission]:
    """The missions whose data the user may check and correct, by country and city."""
    missions = Mission.objects.of(campaign.target_government).order_by(
        "host_country", "city", "name"
    )
    kinds = role_kinds(user, campaign)
    if Role.Kind.ORGANISER in kinds or Role.Kind.PARTNER_EDITOR in kinds:
        return list(missions)
    scope = coordinator_scope(user, campaign)
    if scope.empty:
        return []
    near = missions.filter(host_country__in=scope.countries)
    return [
        m
        for m in missions.filter(pk__in=scope.missions) | near
        if m.pk in scope.missions or scope.has_city(m.host_country, m.city)
    ]


def parse_coordinates(value: str) -> tuple[float, float]:
    """ "lat, lon" in decimal degrees."""
    try:
        lat_text, lon_text = value.replace(";", ",").split(",")
        latitude, longitude = float(lat_text), float(lon_text)
    except ValueError:
        raise ValidationError(
            _("Give the coordinates as latitude, longitude in decimal degrees.")
        ) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(_("The coordinates are out of range."))
    return latitude, longitude


def check_value(field: str, value: str) -> str:
    """The value cleaned, or ValidationError."""
    value = value.strip()
    if field == Field.COORDINATES:
        latitude, longitude = parse_coordinates(value)
        return f"{latitude:.6f}, {longitude:.6f}"
    if field == Field.EMAIL:
        EmailValidator()(value)
    elif field == Field.WEBSITE:
        URLValidator(schemes=["http", "https"])(value)
    limits = {Field.POSTCODE: 20, Field.PHONE: 80, Field.WEBSITE: 300}
    limit = limits.get(Field(field), 2000)
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d characters.") % {"limit": limit})
    return value


def propose(
    *,
    user: Any,
    campaign: Campaign,
    mission: Mission,
    values: dict[str, str],
    evidence: str,
    source_url: str = "",
    source_date: date | None = None,
    photo: CleanFile | None = None,
    comment: str = "",
) -> Proposal:
    if not can_propose(user, campaign, mission):
        raise PermissionDenied
    cleaned = {field: check_value(field, v) for field, v in values.items() if v.strip()}
    if not cleaned:
        raise ValidationError(_("Propose at least one value."))
    with transaction.atomic():
        proposal = Proposal(
            mission=mission,
            campaign=campaign,
            proposer=user,
            evidence=evidence,
            source_url=source_url if evidence == Proposal.Evidence.URL else "",
            source_date=source_date,
            comment=comment,
        )
        if photo is not None:  # with any evidence; the only one for "photo"
            upload = photo.as_file()  # a random name: the original says too much
            proposal.photo.save(upload.name or "photo.jpg", upload, save=False)
        proposal.save()
        ProposedValue.objects.bulk_create(
            ProposedValue(proposal=proposal, field=field, value=value)
            for field, value in cleaned.items()
        )
    return proposal


def _apply(mission: Mission, field: str, value: str, when: date) -> None:
    if field == Field.COORDINATES:
        mission.latitude, mission.longitude = parse_coordinates(value)
    elif field == Field.CLOSED:
        mission.status = Mission.Status.CLOSED
        mission.closed = when.isoformat()
        mission.notes = "\n".join(n for n in (mission.notes, value) if n)
    else:
        setattr(mission, field, value)


def _notify(proposal: Proposal) -> None:
    address = proposal.proposer.email if proposal.proposer else ""
    if not address:
        return
    message = Message.objects.create(
        kind=Message.Kind.DIRECTORY_PROPOSAL,
        recipient_encrypted=crypto.encrypt(address),
        language=translation.get_language() or "en",
    )
    DirectoryNotice.objects.create(
        kind=DirectoryNotice.Kind.DECISION, message=message, proposal=proposal
    )
    wake_senders()


def decide(
    proposal: Proposal, organiser: Any, accept: set[str], reason: str = ""
) -> list[MissionFieldVerification]:
    """Accept the fields in ``accept``, reject the other open ones (with ``reason``)."""
    if not is_organiser(organiser, proposal.campaign):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status not in (Proposal.Status.OPEN, Proposal.Status.MORE):
            raise ValidationError(_("This proposal has been decided already."))
        values = list(locked.values.filter(decision=ProposedValue.Decision.OPEN))
        accepted = [v for v in values if v.field in accept]
        rejected = [v for v in values if v.field not in accept]
        if rejected and not reason.strip():
            raise ValidationError(_("Give the proposer a reason for the fields you reject."))
        mission = Mission.objects.select_for_update().get(pk=locked.mission_id)
        when = locked.source_date or now.date()
        verifications = []
        for value in accepted:
            _apply(mission, value.field, value.value, when)
            verifications.append(
                MissionFieldVerification(
                    mission=mission,
                    field=value.field,
                    value=value.value,
                    source=locked.evidence_text(),
                    source_date=locked.source_date,
                    proposal=locked,
                    verified_by=organiser,
                    verified_at=now,
                )
            )
        if accepted:
            mission.last_verified = now.date()
            mission._history_user = organiser  # type: ignore[attr-defined]
            mission._change_reason = _("proposal #%(pk)s accepted") % {  # type: ignore[attr-defined]
                "pk": locked.pk
            }
            mission.full_clean(exclude=["key"])
            mission.save()
            MissionFieldVerification.objects.bulk_create(verifications)
        for value in values:
            value.decision = (
                ProposedValue.Decision.ACCEPTED
                if value in accepted
                else ProposedValue.Decision.REJECTED
            )
        ProposedValue.objects.bulk_update(values, ["decision"])
        locked.status = Proposal.Status.DECIDED if accepted else Proposal.Status.REJECTED
        locked.reason = reason.strip()
        locked.decided_by, locked.decided_at = organiser, now
        locked.save()
        _notify(locked)
    proposal.refresh_from_db()
    return verifications


def ask_more(proposal: Proposal, organiser: Any, question: str) -> None:
    if not is_organiser(organiser, proposal.campaign):
        raise PermissionDenied
    if not question.strip():
        raise ValidationError(_("Write what you need to know."))
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status not in (Proposal.Status.OPEN, Proposal.Status.MORE):
            raise ValidationError(_("This proposal has been decided already."))
        locked.status = Proposal.Status.MORE
        locked.reason = question.strip()
        locked.save(update_fields=["status", "reason"])
        _notify(locked)
    proposal.refresh_from_db()


def current_value(mission: Mission, field: str) -> str:
    if field == Field.COORDINATES:
        if not mission.has_coordinates:
            return ""
        return f"{mission.latitude:.6f}, {mission.longitude:.6f}"
    if field == Field.CLOSED:
        return mission.closed if mission.status == Mission.Status.CLOSED else ""
    return str(getattr(mission, field))


def _same(field: str, verified: str, current: str) -> bool:
    if field == Field.CLOSED:
        return bool(current)
    try:
        return check_value(field, verified) == check_value(field, current)
    except ValidationError:
        return False


@dataclass(frozen=True)
class FieldProvenance:
    field: str
    label: str
    value: str
    verification: MissionFieldVerification | None
    # The mission's own source (import or admin) when no verification is newer.
    source: str
    source_date: date | None

    @property
    def verified(self) -> bool:
        return self.verification is not None


def provenance(mission: Mission) -> list[FieldProvenance]:
    """Per field: value, its latest verification if it still holds, else "unverified"."""
    latest: dict[str, MissionFieldVerification] = {}
    for found in mission.verifications.select_related("verified_by").order_by(
        "-verified_at", "-pk"
    ):
        latest.setdefault(found.field, found)
    rows = []
    for field in Field:
        value = current_value(mission, field.value)
        verification: MissionFieldVerification | None = latest.get(field.value)
        if verification is not None and not _same(field.value, verification.value, value):
            verification = None  # changed since (in the admin or by an import): unverified
        rows.append(
            FieldProvenance(
                field=field.value,
                label=str(field.label),
                value=value,
                verification=verification,
                source=mission.source,
                source_date=mission.source_date,
            )
        )
    return rows

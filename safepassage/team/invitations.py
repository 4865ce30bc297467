"""Inviting people to a role and accepting an invitation.

The invitee's address goes only into the outbox message, encrypted, and is
wiped when the message is finished; the invitation itself keeps the name,
the role and what to assign, and a random token that works once, for
INVITATION_DAYS days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.models import Assignment, Invitation, Role
from safepassage.accounts.services import grant_admin
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.directory.models import Mission
from safepassage.events.models import Event
from safepassage.lib import crypto
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders

logger = logging.getLogger(__name__)


def invite(
    *,
    campaign: Campaign,
    invited_by: Any,
    email: str,
    name: str,
    kind: str,
    organisation: Organisation | None = None,
    assignments: list[dict[str, Any]] | None = None,
    language: str = "en",
) -> Invitation:
    """Create the invitation and its mail in one transaction, and start sending it."""
    with database_write_lock(), transaction.atomic():
        invitation = Invitation.objects.create(
            campaign=campaign,
            kind=kind,
            name=name,
            organisation=organisation if kind == Role.Kind.PARTNER_EDITOR else None,
            assignments=(assignments or []) if kind == Role.Kind.COORDINATOR else [],
            invited_by=invited_by,
        )
        message = Message.objects.create(
            kind=Message.Kind.INVITATION,
            invitation=invitation,
            recipient_encrypted=crypto.encrypt(email),
            language=language,
        )
        wake_senders()
    logger.info("invitation %s created (message %s)", invitation.pk, message.pk)
    return invitation


class InvitationUnusable(Exception):
    """The invitation was used already, or it has expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RoleConflict(Exception):
    """The account already edits for another organisation in this campaign."""


@dataclass(frozen=True)
class Accepted:
    role: Role
    assignments_created: int


def _create_assignments(role: Role, wanted: list[dict[str, Any]]) -> int:
    Key = tuple[str, str, int | None, int | None]
    existing: set[Key] = set(
        role.assignments.values_list("country", "city", "mission_id", "event_id")
    )
    created = 0
    for item in wanted:
        if not isinstance(item, dict):
            continue
        values: dict[str, Any]
        key: Key
        if item.get("mission"):
            mission = Mission.objects.filter(pk=item["mission"]).first()
            if mission is None:
                continue  # removed from the directory since the invitation
            values = {"mission": mission}
            key = ("", "", mission.pk, None)
        elif item.get("event"):
            event = Event.objects.filter(pk=item["event"], campaign_id=role.campaign_id).first()
            if event is None:
                continue
            values = {"event": event}
            key = ("", "", None, event.pk)
        elif item.get("city") and item.get("country"):
            values = {"country": str(item["country"]).upper(), "city": str(item["city"])}
            key = (values["country"], values["city"], None, None)
        else:
            continue
        if key in existing:
            continue
        Assignment.objects.create(role=role, **values)
        existing.add(key)
        created += 1
    return created


def accept(invitation_pk: int, user: AbstractBaseUser | Any) -> Accepted:
    """Give ``user`` the invited role; the invitation cannot be used again.

    Raises InvitationUnusable if it was accepted meanwhile (the row is
    re-read under the write lock) or has expired, RoleConflict if the user
    already edits for another organisation in the campaign.
    """
    with database_write_lock(), transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("campaign").get(pk=invitation_pk)
        )
        if invitation.accepted_at is not None:
            raise InvitationUnusable("accepted")
        if invitation.is_expired():
            raise InvitationUnusable("expired")
        if user.pk is None:
            user.save()
        role, created = Role.objects.get_or_create(
            user=user,
            campaign=invitation.campaign,
            kind=invitation.kind,
            defaults={"organisation": invitation.organisation},
        )
        if (
            not created
            and invitation.kind == Role.Kind.PARTNER_EDITOR
            and role.organisation_id != invitation.organisation_id
        ):
            raise RoleConflict(
                _("This account already edits for %(organisation)s in this campaign.")
                % {"organisation": role.organisation}
            )
        count = _create_assignments(role, list(invitation.assignments or []))
        if invitation.kind == Role.Kind.ORGANISER:
            grant_admin(user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = cast(Any, user)
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    logger.info("invitation %s accepted by user %s", invitation.pk, user.pk)
    return Accepted(role=role, assignments_created=count)

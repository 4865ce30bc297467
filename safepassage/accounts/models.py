"""Who may do what in a campaign: roles, a coordinator's assignments, invitations.

Django's staff flag only lets a person into the admin; what they see is
decided by their roles here (see permissions.py). Superusers are organisers
of every campaign.

Campaigns and organisations are named by label, not imported: accounts is
the lowest app (docs/architecture.md), and every app above it scopes its
admin and views by these roles.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.Model):
    class Kind(models.TextChoices):
        ORGANISER = "organiser", _("organiser")
        PARTNER_EDITOR = "partner_editor", _("partner organisation editor")
        COORDINATOR = "coordinator", _("city coordinator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(_("role"), max_length=20, choices=Kind)
    # A partner editor edits for this organisation.
    organisation = models.ForeignKey(
        "campaigns.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "campaign", "kind"], name="role_once"),
            models.CheckConstraint(
                name="role_kind_valid",
                condition=Q(kind__in=["organiser", "partner_editor", "coordinator"]),
            ),
            models.CheckConstraint(
                name="role_partner_has_organisation",
                condition=~Q(kind="partner_editor") | Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.campaign}"


class Assignment(models.Model):
    """What a coordinator looks after: a city, a mission or one event."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    country = models.CharField(_("country"), max_length=2, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    mission = models.ForeignKey(
        "directory.Mission", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                name="assignment_names_one_thing",
                condition=(
                    Q(city__gt="", country__gt="", mission__isnull=True, event__isnull=True)
                    | Q(city="", mission__isnull=False, event__isnull=True)
                    | Q(city="", mission__isnull=True, event__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        if self.mission_id:
            return str(self.mission)
        if self.event_id:
            return str(self.event)
        return f"{self.city}, {self.country}"


# An invitation's link works once, for this many days.
INVITATION_DAYS = 14


class Invitation(models.Model):
    """An organiser invites someone by e-mail to take a role.

    The address itself goes only into the outbox (encrypted, wiped once
    sent); the invitation keeps a token and, once accepted, the account.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("role"), max_length=20, choices=Role.Kind)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        "campaigns.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Assignments to create on acceptance: {"country", "city"}, {"mission": pk} or {"event": pk}.
    assignments = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=INVITATION_DAYS)

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at()

    def state(self) -> str:
        """accepted, expired or pending."""
        if self.accepted_at is not None:
            return "accepted"
        return "expired" if self.is_expired() else "pending"


class AuthEvent(models.Model):
    """One authentication event: who tried what, when, from which (hashed) address.

    Never a password, never a plain address: the address is a keyed hash
    (lib.clients.ip_hash), the same one the signing throttle uses.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("password accepted")
        FAILURE = "failure", _("password refused")
        LOCKOUT = "lockout", _("locked out")
        UNLOCK = "unlock", _("unlocked")
        VERIFIED = "verified", _("second factor passed")
        SECOND_FACTOR_FAILURE = "second_factor_failure", _("second factor refused")
        RECOVERY_CODE = "recovery_code", _("recovery code used")
        MFA_ENROLLED = "mfa_enrolled", _("second factor added")
        MFA_REMOVED = "mfa_removed", _("second factor removed")
        REAUTHENTICATED = "reauthenticated", _("re-authenticated")
        EXPIRED = "expired", _("session expired")
        LOGOUT = "logout", _("logged out")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(pgettext_lazy("sign-in", "event"), max_length=24, choices=Kind)
    # What was typed into the username field (kept even when no account has it).
    username = models.CharField(_("username attempted"), max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    ip_hash = models.CharField(_("address (keyed hash)"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"

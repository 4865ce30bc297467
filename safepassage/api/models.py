"""Personal API tokens: each user makes and revokes their own.

Only a SHA-256 of a token is stored; the token itself is shown once, when it
is made. A token acts as its user, with the user's roles (accounts.permissions)
narrowed by its scope: a *read* token cannot change anything.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Recognisable in logs and secret scanners; the rest is 256 random bits.
TOKEN_PREFIX = "sp_"  # noqa: S105 (a label, not a secret)
# How many characters of a token are kept in clear to tell tokens apart on a page.
SHOWN_CHARACTERS = 7


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    token_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    # The first characters of the token ("sp_AbCd"): enough to recognise it, not to use it.
    prefix = models.CharField(_("starts with"), max_length=SHOWN_CHARACTERS)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope, default=Scope.READ)
    # Empty: every campaign the user has a role in; else this campaign only (the others 404).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
        help_text=_("Only this campaign; empty: every campaign of the user."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                name="api_token_scope_valid", condition=Q(scope__in=["read", "write"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    @classmethod
    def issue(
        cls, user: object, name: str, scope: str, campaign: object = None
    ) -> tuple[ApiToken, str]:
        """Make a token for ``user``; returns the row and the token, which is not kept."""
        token = new_token()
        row = cls.objects.create(
            user=user,
            name=name.strip()[:100],
            scope=scope,
            campaign=campaign,
            token_hash=hash_token(token),
            prefix=token[:SHOWN_CHARACTERS],
        )
        return row, token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Disclosure(models.Model):
    """An API answer that carried plain e-mail addresses (OSDI people), recorded before it is sent.

    The audit trail of the OSDI people resource, as the export log is of the
    contacts export: which token, whose, which campaign, how many addresses.
    Never the addresses themselves.
    """

    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("token")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("campaign"),
    )
    path = models.CharField(_("request"), max_length=300)
    addresses = models.PositiveIntegerField(_("e-mail addresses"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("address disclosed through the API")
        verbose_name_plural = _("addresses disclosed through the API")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.addresses} · {self.created_at:%Y-%m-%d %H:%M}"

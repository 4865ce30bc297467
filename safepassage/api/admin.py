"""API tokens in the admin: each staff user sees and revokes their own; superusers all.

The page is offered to staff who have a token (CampaignScopedAdmin, rule OWN).

Tokens are made on /api/tokens/, where the new token is shown once; the
admin has only their fingerprints and cannot make one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import OWN, CampaignScopedAdmin, OrganisersReadOnly
from safepassage.accounts.permissions import organiser_campaigns
from safepassage.api.models import ApiToken, Disclosure


def _mine_or_superuser(request: HttpRequest, obj: ApiToken | None) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return obj is None or bool(user.is_superuser) or obj.user_id == user.pk


@admin.register(ApiToken)
class ApiTokenAdmin(CampaignScopedAdmin):
    rule = OWN
    owner_lookup = "user"
    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "token_hash",
        "scope",
        "campaign",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke_tokens"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return tokens
        return tokens.filter(user_id=request.user.pk or 0)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _mine_or_superuser(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing is editable; "change" lets the revoke action run.
        return _mine_or_superuser(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _mine_or_superuser(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("%(n)d tokens revoked.") % {"n": count}, messages.SUCCESS)


@admin.register(Disclosure)
class DisclosureAdmin(OrganisersReadOnly):
    """The OSDI answers that carried addresses, for the campaign's organisers (read only)."""

    campaign_lookup = "campaign"
    list_display = ("created_at", "campaign", "user", "token", "addresses", "path")
    date_hierarchy = "created_at"
    readonly_fields = list_display

    def get_queryset(self, request: HttpRequest) -> QuerySet[Disclosure]:
        return (
            super()
            .get_queryset(request)
            .select_related("campaign", "user", "token")
            .filter(campaign__in=organiser_campaigns(request.user))
        )

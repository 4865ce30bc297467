"""The sign-in audit trail in the admin: read only, with an unlock action.

Scoping rule: superusers see every event; an organiser sees the events of
accounts that hold a role in a campaign they organise (their own included).
Events of attempts at names that match no such account stay superuser-only.
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safepassage.accounts import security
from safepassage.accounts.admin_mixins import OrganisersReadOnly
from safepassage.accounts.models import AuthEvent, Role
from safepassage.accounts.permissions import organiser_campaigns


def visible_events(user: Any) -> QuerySet[AuthEvent]:
    events = AuthEvent.objects.select_related("user")
    if user.is_superuser:
        return events
    people = Role.objects.filter(campaign__in=organiser_campaigns(user)).values("user_id")
    return events.filter(user_id__in=people)


@admin.register(AuthEvent)
class AuthEventAdmin(OrganisersReadOnly):
    list_display = ("at", "kind", "username", "user", "short_ip_hash", "detail")
    list_filter = ("kind",)
    search_fields = ("username",)
    date_hierarchy = "at"
    actions = ["unlock"]

    def campaign_q(self, campaign_ids: frozenset[int]) -> Q:
        # The rule of CampaignScopedAdmin, the same as visible_events.
        return Q(user__roles__campaign__in=campaign_ids)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthEvent]:
        return visible_events(request.user)

    @admin.display(description=_("address (keyed hash)"))
    def short_ip_hash(self, event: AuthEvent) -> str:
        return event.ip_hash[:12]

    @admin.action(description=_("Unlock the accounts of the selected events"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[AuthEvent]) -> None:
        accounts = {event.user for event in queryset if event.user is not None}
        for account in accounts:
            axes_reset(username=account.get_username())
            security.record(
                AuthEvent.Kind.UNLOCK,
                request,
                user=account,
                detail=f"by account {request.user.pk}",
            )
        count = len(accounts)
        message = ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count)
        messages.success(request, message % {"count": count})

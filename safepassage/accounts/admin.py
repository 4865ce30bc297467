"""Roles and invitations in the admin, for organisers of each campaign.

Access follows the roles, not Django's model permissions: an organiser
(permissions.is_organiser) sees and manages the roles of the campaigns they
organise, and no others; superusers see everything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from safepassage.accounts import audit_admin, permissions, services
from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.accounts.models import Assignment, Invitation, Role


def _organises_any(request: HttpRequest) -> bool:
    return permissions.organiser_campaigns(request.user).exists()


def _organises(request: HttpRequest, obj: Any) -> bool:
    if obj is None:
        return _organises_any(request)
    return permissions.is_organiser(request.user, obj.campaign_id)


class _ByCampaignAdmin:
    """has_*_permission from the user's organiser roles; rows of their campaigns only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _organises_any(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _organises_any(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        extra = {"invite_campaigns": permissions.organiser_campaigns(request.user)}
        response: TemplateResponse = super().changelist_view(  # type: ignore[misc]
            request, {**(extra_context or {}), **extra}
        )
        return response


class AssignmentInline(admin.TabularInline[Assignment, Role]):
    model = Assignment
    extra = 0
    fields = ["country", "city", "mission", "event"]
    verbose_name_plural = _(
        "assignments (coordinators): a city with its country, a mission or an event"
    )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _organises(request, obj)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        # Missions and events through the relation: accounts sits below both apps.
        related: Any = db_field.related_model
        campaigns = permissions.organiser_campaigns(request.user)
        if db_field.name == "mission":
            states = campaigns.values_list("target_government", flat=True)
            kwargs["queryset"] = related.objects.open().filter(sending_state__in=states)
        elif db_field.name == "event":
            kwargs["queryset"] = related.objects.filter(campaign__in=campaigns)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Role)
class RoleAdmin(_ByCampaignAdmin, CampaignScopedAdmin):
    campaign_lookup = "campaign"
    list_display = ["user", "kind", "campaign", "organisation", "assigned", "created_at"]
    list_filter = ["campaign", "kind"]
    list_select_related = ["user", "campaign", "organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    fields = ["user", "campaign", "kind", "organisation"]
    inlines = [AssignmentInline]
    change_list_template = "accounts/admin/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Role]:
        campaigns = permissions.organiser_campaigns(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(campaign__in=campaigns)
            .prefetch_related("assignments__mission", "assignments__event")
        )

    @admin.display(description=_("assignments"))
    def assigned(self, role: Role) -> str:
        return format_html_join(", ", "{}", ((str(a),) for a in role.assignments.all()))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        from django.contrib.auth import get_user_model

        if db_field.name == "campaign":
            kwargs["queryset"] = permissions.organiser_campaigns(request.user)
        elif db_field.name == "user":
            # People of the user's own campaigns (others join through an invitation).
            users = get_user_model().objects.filter(is_active=True)
            if not request.user.is_superuser:
                campaigns = permissions.organiser_campaigns(request.user)
                users = users.filter(roles__campaign__in=campaigns).distinct()
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Role, form: Any, change: bool) -> None:
        if not permissions.is_organiser(request.user, obj.campaign_id):
            raise PermissionDenied
        if obj.kind != Role.Kind.PARTNER_EDITOR:
            obj.organisation = None
        super().save_model(request, obj, form, change)
        if obj.kind == Role.Kind.ORGANISER:
            services.grant_admin(obj.user)


INVITATION_FIELDS = (
    "name", "kind", "campaign", "organisation", "assignments", "invited_by",
    "created_at", "accepted_at", "accepted_by",
)  # fmt: skip


@admin.register(Invitation)
class InvitationAdmin(_ByCampaignAdmin, CampaignScopedAdmin):
    """What was sent to whom (by name) and what became of it; new ones from the invite page.

    Deleting a pending invitation revokes it: its link stops working and its
    mail, if not sent yet, is withheld.
    """

    list_display = [
        "name", "kind", "campaign", "state", "invited_by", "created_at",
        "accepted_at", "accepted_by",
    ]  # fmt: skip
    list_filter = ["campaign", "kind"]
    list_select_related = ["campaign", "invited_by", "accepted_by"]
    search_fields = ["name"]
    fields = INVITATION_FIELDS
    readonly_fields = INVITATION_FIELDS
    change_list_template = "accounts/admin/change_list.html"
    campaign_lookup = "campaign"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        campaigns = permissions.organiser_campaigns(request.user)
        return super().get_queryset(request).filter(campaign__in=campaigns)

    @admin.display(description=_("state"))
    def state(self, invitation: Invitation) -> str:
        labels = {"pending": _("waiting"), "accepted": _("accepted"), "expired": _("expired")}
        return str(labels[invitation.state()])

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The sign-in audit trail registers itself (audit_admin.AuthEventAdmin).
__all__ = ["audit_admin"]

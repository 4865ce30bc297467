"""The reports app in the admin, for the organisers of each campaign.

The press kit can be edited here as on its own page (the texts are checked
for unknown merge fields the same way); the after-action report is edited
and published only on its page, which freezes what the public reads, so the
admin shows it read only, with the cached statistics the public pages use.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import OrganisersReadOnly
from safepassage.accounts.permissions import organiser_campaigns
from safepassage.letters.models import Letterhead
from safepassage.reports.models import AfterActionReport, PressKit
from safepassage.reports.views.presskit import PRESS_KIT_FIELDS, MergeFieldsChecked


class _ForOrganisers(OrganisersReadOnly):
    """Rows of the campaigns the user organises."""

    campaign_lookup = "campaign"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .select_related("campaign")
            .filter(campaign__in=organiser_campaigns(request.user))
        )


class PressKitAdminForm(MergeFieldsChecked):
    class Meta:
        model = PressKit
        fields = PRESS_KIT_FIELDS


@admin.register(PressKit)
class PressKitAdmin(_ForOrganisers):
    form = PressKitAdminForm
    list_display = ("campaign", "published", "updated_at", "updated_by", "editor")
    list_filter = ("published",)
    readonly_fields = ("campaign", "updated_at", "updated_by", "editor")
    fields = ("campaign", *PRESS_KIT_FIELDS, "updated_at", "updated_by", "editor")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    @admin.display(description=_("editor with preview"))
    def editor(self, obj: PressKit) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("reports:press_kit", args=[obj.campaign.slug]),
            _("Open the press kit page"),
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "letterhead":
            kwargs["queryset"] = Letterhead.objects.filter(
                organisation__campaigns__in=organiser_campaigns(request.user)
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: PressKit, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(AfterActionReport)
class AfterActionReportAdmin(_ForOrganisers):
    list_display = ("campaign", "title", "status", "published_at", "published_by", "editor")
    list_filter = ("status",)
    fields = ("campaign", "title", "status", "published_at", "published_by", "editor")
    readonly_fields = fields

    @admin.display(description=_("editor with preview"))
    def editor(self, obj: AfterActionReport) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("reports:report_edit", args=[obj.campaign.slug]),
            _("Open the report page"),
        )

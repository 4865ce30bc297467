"""The export log and the legacy paper tallies in the admin: read only, for the organisers."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from safepassage.accounts.admin_mixins import OrganisersReadOnly
from safepassage.accounts.permissions import organiser_campaigns
from safepassage.exports.models import ExportLog
from safepassage.signatures.models import PaperTally


@admin.register(ExportLog)
class ExportLogAdmin(OrganisersReadOnly):
    campaign_lookup = "campaign"
    list_display = ("created_at", "campaign", "user", "kind", "format", "rows", "finished_at")
    list_filter = ("kind", "format")
    date_hierarchy = "created_at"
    readonly_fields = (*list_display, "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExportLog]:
        return (
            super()
            .get_queryset(request)
            .select_related("campaign", "user")
            .filter(campaign__in=organiser_campaigns(request.user))
        )


@admin.register(PaperTally)
class PaperTallyAdmin(OrganisersReadOnly):
    campaign_lookup = "petition__campaign"
    list_display = ("petition", "source", "country", "region", "city", "count", "created_at")
    list_filter = ("source",)
    readonly_fields = (*list_display, "created_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaperTally]:
        return (
            super()
            .get_queryset(request)
            .select_related("petition")
            .filter(petition__campaign__in=organiser_campaigns(request.user))
        )

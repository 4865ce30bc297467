"""The export log and paper tallies in the admin: read only, for the campaign's organisers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from safepassage.accounts.permissions import organiser_campaigns
from safepassage.exports.models import ExportLog
from safepassage.signatures.models import PaperTally


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return organiser_campaigns(request.user).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(ExportLog)
class ExportLogAdmin(_ReadOnly):
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
class PaperTallyAdmin(_ReadOnly):
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

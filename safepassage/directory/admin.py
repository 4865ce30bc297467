from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from safepassage.accounts.admin_mixins import SHARED, CampaignScopedAdmin
from safepassage.accounts.permissions import is_organiser, organiser_campaigns
from safepassage.directory import export, tallies, transfer
from safepassage.directory.models import Mission, MissionArea
from safepassage.directory.tasks import route_signatures


class MissionAreaInline(admin.TabularInline[MissionArea, Mission]):
    model = MissionArea
    extra = 0
    fields = ["kind", "code", "source", "source_date"]


class ImportForm(forms.Form):
    missions = forms.FileField(
        label=_("Missions (CSV or JSON)"), required=False, help_text=_("The export format.")
    )
    districts = forms.FileField(
        label=_("Consular districts (CSV)"),
        required=False,
        help_text=_("Columns: mission_id, code, source_url, source_date."),
    )
    sending_state = forms.CharField(
        label=_("Sending state"),
        max_length=2,
        required=False,
        help_text=_("ISO code, for files without a sending_state column."),
    )


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Mission)
class MissionAdmin(CampaignScopedAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    """Shared reference data (the public directory): organisers read it, superusers keep it.

    The routing page shows and re-routes the user's own campaigns only.
    """

    rule = SHARED
    list_display = ["name", "kind", "host_country", "city", "status", "sending_state"]
    list_filter = ["sending_state", "kind", "status", "host_country"]
    search_fields = ["name", "city", "key", "postal_address"]
    readonly_fields = ["updated_at"]
    inlines = [MissionAreaInline]
    actions = ["export_csv", "export_json"]
    change_list_template = "admin/directory/mission/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["key", "sending_state", "kind", "name", "status"]}),
        (_("Place"), {"fields": ["host_country", "city", "postal_address", "postcode"]}),
        (_("Coordinates"), {"fields": ["latitude", "longitude"]}),
        (_("Contacts"), {"fields": ["email", "phone", "fax", "website"]}),
        (_("Dates"), {"fields": ["opened", "closed"]}),
        (_("Source"), {"fields": ["source", "source_date", "notes", "updated_at"]}),
    ]

    @admin.action(description=_("Export selected missions as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Mission]) -> HttpResponse:
        out = io.StringIO()
        export.export_csv(queryset.prefetch_related("areas").order_by("key"), out)
        return _download(out.getvalue(), "missions.csv", "text/csv; charset=utf-8")

    @admin.action(description=_("Export selected missions as JSON"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Mission]) -> HttpResponse:
        data = export.export_json(queryset.prefetch_related("areas").order_by("key"))
        return _download(data, "missions.json", "application/json")

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="directory_mission_import",
            ),
            path(
                "routing/",
                self.admin_site.admin_view(self.routing_view),
                name="directory_mission_routing",
            ),
        ]
        urls: list[URLPattern] = super().get_urls()
        return extra + urls

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        reports: list[transfer.ImportReport] = []
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            state = form.cleaned_data["sending_state"].upper()
            upload = form.cleaned_data["missions"]
            try:
                if upload:
                    text = upload.read().decode("utf-8-sig")
                    rows: Any = (
                        transfer.read_json(text)
                        if upload.name.lower().endswith(".json")
                        else transfer.read_csv(text)
                    )
                    reports.append(transfer.import_rows(rows, sending_state=state))
                if form.cleaned_data["districts"]:
                    text = form.cleaned_data["districts"].read().decode("utf-8-sig")
                    reports.append(transfer.import_districts(transfer.read_csv(text)))
            except (UnicodeDecodeError, ValueError) as error:
                form.add_error(None, _("The file could not be read: %(error)s") % {"error": error})
            if reports:
                messages.success(request, "; ".join(r.summary() for r in reports))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import missions"),
            "form": form,
            "reports": reports,
        }
        return TemplateResponse(request, "admin/directory/mission/import.html", context)

    def routing_view(self, request: HttpRequest) -> HttpResponse:
        campaigns = list(organiser_campaigns(request.user).order_by("-year", "title"))
        if request.method == "POST":
            chosen = [
                c
                for c in campaigns
                if str(c.pk) == request.POST.get("campaign") and is_organiser(request.user, c)
            ]
            for campaign in chosen:
                for petition_id in campaign.petitions.values_list("pk", flat=True):
                    route_signatures.enqueue(petition_id, everything=True)
                messages.success(
                    request, _("Re-routing of %(campaign)s queued.") % {"campaign": campaign}
                )
            return HttpResponseRedirect(request.path)
        rows = [(c, tallies.placement_report(c, limit=50)) for c in campaigns]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Routing of signatures to missions"),
            "rows": rows,
            "conflicts": transfer.district_conflicts(),
        }
        return TemplateResponse(request, "admin/directory/mission/routing.html", context)

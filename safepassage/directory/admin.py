from __future__ import annotations

import io
import secrets

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from safepassage.accounts.admin_mixins import SHARED, CampaignScopedAdmin
from safepassage.accounts.permissions import is_organiser, organiser_campaigns
from safepassage.campaigns.models import Campaign
from safepassage.directory import (
    admin_verification,
    bundled,
    export,
    importreport,
    tallies,
    transfer,
)
from safepassage.directory.models import Mission, MissionArea, MissionName
from safepassage.directory.tasks import route_signatures
from safepassage.lib import geo


class MissionAreaInline(admin.TabularInline[MissionArea, Mission]):
    model = MissionArea
    extra = 0
    fields = ["kind", "code", "source", "source_date"]


class MissionNameInline(admin.TabularInline[MissionName, Mission]):
    """The mission's name in the site's other languages, shown to readers of each."""

    model = MissionName
    extra = 0
    fields = ["language", "name"]


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
        help_text=_(
            "ISO code. Rows without a sending_state column are this state's; rows of other "
            "states are skipped (needed for the Wikidata world file, which lists every state)."
        ),
    )


# The last import's problems stay in the session (shared by every app process) for
# the CSV download; a file with more problems is cut there (the page says how many).
SESSION_ERRORS = "directory_import_errors"
MAX_KEPT_PROBLEMS = 20_000


def keep_error_report(request: HttpRequest, reports: list[transfer.ImportReport]) -> str:
    """Keep the rejected rows of this import for the CSV download; returns its token or ""."""
    rows = importreport.error_rows(reports)[:MAX_KEPT_PROBLEMS]
    if not rows:
        return ""
    token = secrets.token_urlsafe(16)
    request.session[SESSION_ERRORS] = {"token": token, "rows": rows}
    return token


def state_label(code: str, count: int) -> str:
    from_file = gettext_now("%(count)d in the bundled data") % {"count": count}
    return f"{geo.country_name(code)} ({code}) — {from_file}"


class BundledForm(forms.Form):
    sending_state = forms.ChoiceField(
        label=_("Sending state"),
        help_text=_(
            "The government whose embassies and consulates to load. CN loads the PRC's own "
            "curated data with consular districts; every other state comes from Wikidata "
            "(November 2022)."
        ),
    )

    def __init__(self, *args: object, states: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        counts = bundled.world_states()
        field = self.fields["sending_state"]
        assert isinstance(field, forms.ChoiceField)
        labelled = [(code, state_label(code, counts.get(code, 0))) for code in states]
        field.choices = [("", "---------"), *sorted(labelled, key=lambda choice: choice[1])]


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
    inlines = [MissionNameInline, MissionAreaInline]
    actions = ["export_csv", "export_json"]
    change_list_template = "admin/directory/mission/change_list.html"
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
                "import/errors/<str:token>.csv",
                self.admin_site.admin_view(self.import_errors_view),
                name="directory_mission_import_errors",
            ),
            path(
                "bundled/",
                self.admin_site.admin_view(self.bundled_view),
                name="directory_mission_bundled",
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
            state = form.cleaned_data["sending_state"].strip().upper()
            upload = form.cleaned_data["missions"]
            try:
                if upload:
                    text = upload.read().decode("utf-8-sig")
                    reports.append(transfer.import_text(upload.name, text, sending_state=state))
                if form.cleaned_data["districts"]:
                    text = form.cleaned_data["districts"].read().decode("utf-8-sig")
                    reports.append(transfer.import_districts(transfer.read_csv(text)))
            except (UnicodeDecodeError, ValueError) as error:
                form.add_error(None, _("The file could not be read: %(error)s") % {"error": error})
            if reports:
                messages.success(request, "; ".join(r.summary() for r in reports))
        token = keep_error_report(request, reports)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import missions"),
            "form": form,
            "reports": reports,
            "errors_url": (
                reverse("admin:directory_mission_import_errors", args=[token]) if token else ""
            ),
        }
        return TemplateResponse(request, "admin/directory/mission/import.html", context)

    def import_errors_view(self, request: HttpRequest, token: str) -> HttpResponse:
        """The rejected rows of the user's last import as CSV (line, id, field, problem, fix)."""
        kept = request.session.get(SESSION_ERRORS)
        if not kept or not secrets.compare_digest(kept["token"], token):
            raise Http404
        return _download(
            importreport.error_csv(kept["rows"]),
            "missions-import-errors.csv",
            "text/csv; charset=utf-8",
        )

    def bundled_states(self, request: HttpRequest) -> list[str]:
        """Superusers load any state; an organiser the target governments of their campaigns.

        An organiser only loads a state that has no open mission yet: refreshing
        rows a superuser may have corrected is for superusers.
        """
        if request.user.is_superuser:
            return sorted(set(bundled.world_states()) | {"CN"})
        targets = set(organiser_campaigns(request.user).values_list("target_government", flat=True))
        present = set(
            Mission.objects.open()
            .filter(sending_state__in=targets)
            .values_list("sending_state", flat=True)
        )
        return sorted(
            code for code in targets - present if code == "CN" or code in bundled.world_states()
        )

    def bundled_view(self, request: HttpRequest) -> HttpResponse:
        """Load the bundled world (or PRC) directory of one sending state, from the admin."""
        if not request.user.is_superuser and not organiser_campaigns(request.user).exists():
            return HttpResponseRedirect(reverse("admin:index"))
        states = self.bundled_states(request)
        initial = {"sending_state": request.GET.get("state", "").upper()}
        form = BundledForm(request.POST or None, states=states, initial=initial)
        reports: list[transfer.ImportReport] = []
        if request.method == "POST" and form.is_valid():
            state = form.cleaned_data["sending_state"]
            try:
                reports = bundled.load(state)
            except ValueError as error:
                form.add_error("sending_state", str(error))
            else:
                messages.success(
                    request,
                    _("Bundled directory of %(state)s loaded: %(summary)s")
                    % {"state": state, "summary": "; ".join(r.summary() for r in reports)},
                )
        in_directory = dict(
            Mission.objects.open()
            .values_list("sending_state")
            .annotate(n=models.Count("pk"))
            .values_list("sending_state", "n")
        )
        campaigns = [
            (campaign, in_directory.get(campaign.target_government, 0))
            for campaign in (
                Campaign.objects.all()
                if request.user.is_superuser
                else organiser_campaigns(request.user)
            ).exclude(status=Campaign.Status.ARCHIVED)
        ]
        token = keep_error_report(request, reports)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Load the bundled directory"),
            "form": form,
            "reports": reports,
            "campaigns": campaigns,
            "errors_url": (
                reverse("admin:directory_mission_import_errors", args=[token]) if token else ""
            ),
        }
        return TemplateResponse(request, "admin/directory/mission/bundled.html", context)

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


# Proposals and verifications (issue 24): fields, per-field summary and inline.
admin_verification.extend(MissionAdmin)

"""The remembrance list and the reading script in the admin, for the campaign's organisers.

Who sees and changes what is decided by roles (accounts.permissions), not by
Django's model permissions: an organiser of a campaign keeps its list; other
staff see none of it. Superusers are organisers of every campaign.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin, messages
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.events import remembrance
from safepassage.events.models import ReadingScript, RemembranceName


def organised_campaigns(request: HttpRequest) -> QuerySet[Campaign]:
    """The campaigns whose remembrance list the user keeps (see permissions.is_organiser)."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(roles__user=user, roles__kind=Role.Kind.ORGANISER).distinct()


class OrganiserOnly:
    """Role-based permissions for a model with a ``campaign`` foreign key."""

    def _campaign_ids(self, request: HttpRequest) -> set[int]:
        cached: set[int] | None = getattr(request, "_organised_campaign_ids", None)
        if cached is None:
            cached = set(organised_campaigns(request).values_list("pk", flat=True))
            request._organised_campaign_ids = cached  # type: ignore[attr-defined]
        return cached

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = self._campaign_ids(request)
        if obj is None:
            return bool(ids)
        return obj.campaign_id in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(campaign_id__in=self._campaign_ids(request))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "campaign":
            kwargs["queryset"] = organised_campaigns(request)
        field: ModelChoiceField[Any] | None = super().formfield_for_foreignkey(  # type: ignore[misc]
            db_field, request, **kwargs
        )
        return field


def _link(name: str, campaign: Campaign) -> str:
    try:
        return reverse(name, args=[campaign.slug])
    except NoReverseMatch:  # the remembrance pages are not in this site's URLs
        return ""


@admin.register(RemembranceName)
class RemembranceNameAdmin(OrganiserOnly, CampaignScopedAdmin):
    campaign_lookup = "campaign"
    list_display = ["position", "name", "native_name", "date", "place", "public", "campaign"]
    list_display_links = ["name"]
    list_editable = ["public", "position"]
    list_filter = ["campaign", "public"]
    list_select_related = ["campaign"]
    list_per_page = 200
    search_fields = ["name", "native_name", "date", "place", "source"]
    ordering = ["campaign", "position", "pk"]
    fields = ["campaign", "name", "native_name", "date", "place", "source", "public", "position"]
    actions = ["mark_public", "mark_not_public", "export_csv"]
    change_list_template = "events/remembrance_admin_change_list.html"

    @admin.action(description=_("Mark the selected names public (they will be read aloud)"))
    def mark_public(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> None:
        count = queryset.update(public=True)
        self.message_user(
            request,
            ngettext("%(count)d name marked public.", "%(count)d names marked public.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark the selected names not public (never read or printed)"))
    def mark_not_public(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> None:
        count = queryset.update(public=False)
        self.message_user(
            request,
            ngettext(
                "%(count)d name marked not public.", "%(count)d names marked not public.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export the selected names as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> HttpResponse:
        out = io.StringIO()
        remembrance.export_csv(queryset.order_by("campaign", "position", "pk"), out)
        slugs = sorted(set(queryset.values_list("campaign__slug", flat=True)))
        filename = f"remembrance-{slugs[0]}.csv" if len(slugs) == 1 else "remembrance.csv"
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        links = []
        for campaign in organised_campaigns(request).order_by("-year", "title"):
            page = _link("remembrance:page", campaign)
            if page:
                upload = _link("remembrance:import", campaign)
                links.append({"campaign": campaign, "page": page, "import": upload})
        context = {**(extra_context or {}), "remembrance_links": links}
        response: TemplateResponse = super().changelist_view(request, context)  # type: ignore[assignment]
        return response


@admin.register(ReadingScript)
class ReadingScriptAdmin(OrganiserOnly, CampaignScopedAdmin):
    campaign_lookup = "campaign"
    list_display = ["campaign", "opening_start"]
    list_select_related = ["campaign"]
    fields = ["campaign", "opening", "closing"]

    @admin.display(description=_("opening words"))
    def opening_start(self, obj: ReadingScript) -> str:
        text = obj.opening.strip().splitlines()
        return text[0][:80] if text else gettext("(none)")

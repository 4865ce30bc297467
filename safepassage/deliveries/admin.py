"""Deliveries in the admin: audited edits under the same rules as the delivery pages.

Access follows the campaign roles, not Django's model permissions (as in
the accounts admin): staff who organise a campaign, or coordinate in one,
see the deliveries ``deliveries_for`` gives them and no others; what they
may change follows ``services.allowed_statuses`` (coordinators do not
correct a recorded delivery). Superusers see everything. Files uploaded here are cleaned like those
uploaded on the delivery pages, and are linked to the permission-checked
views rather than to a public media URL.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.accounts.permissions import (
    campaigns_for,
    coordinator_scope,
    is_organiser,
)
from safepassage.campaigns.models import Campaign
from safepassage.deliveries import emailing, services
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.deliveries.permissions import can_manage_delivery, deliveries_for
from safepassage.lib import uploads


def _has_deliveries(request: HttpRequest) -> bool:
    """Whether the user looks after any deliveries (organiser or coordinator somewhere)."""
    user = request.user
    if user.is_superuser:
        return True
    return any(
        is_organiser(user, c) or not coordinator_scope(user, c).empty for c in campaigns_for(user)
    )


def _manages(request: HttpRequest, delivery: Delivery | None) -> bool:
    if delivery is None:
        return _has_deliveries(request)
    return can_manage_delivery(request.user, delivery)


class _FollowsDelivery:
    """Inline rows may be changed by whoever manages their delivery."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)


def _cleaned_upload(value: Any, *, allow_pdf: bool) -> Any:
    """A new upload, cleaned of its metadata; an existing file as it is."""
    if not isinstance(value, UploadedFile):
        return value
    return uploads.clean_upload(value, allow_pdf=allow_pdf).as_file()


class EvidenceAdminForm(forms.ModelForm[Evidence]):
    class Meta:
        model = Evidence
        fields = ["kind", "file", "caption", "publish"]
        widgets = {"file": forms.FileInput}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "file" in data:
            try:
                data["file"] = _cleaned_upload(
                    data["file"], allow_pdf=data.get("kind") != Evidence.Kind.PHOTO
                )
            except ValidationError as error:
                self.add_error("file", error)
        return data


class EvidenceInline(_FollowsDelivery, admin.TabularInline[Evidence, Delivery]):
    model = Evidence
    form = EvidenceAdminForm
    extra = 0
    fields = ["kind", "view", "file", "caption", "publish", "uploaded_by", "uploaded_at"]
    readonly_fields = ["view", "uploaded_by", "uploaded_at"]

    @admin.display(description=_("stored file"))
    def view(self, obj: Evidence) -> str:
        if not obj.pk or not obj.file:
            return "—"
        url = reverse("deliveries:evidence-file", args=[obj.delivery_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("open"))


class ResponseAdminForm(forms.ModelForm[Response]):
    class Meta:
        model = Response
        fields = ["received_on", "channel", "summary", "scan"]
        widgets = {"scan": forms.FileInput}

    def clean_scan(self) -> Any:
        return _cleaned_upload(self.cleaned_data.get("scan"), allow_pdf=True)


class ResponseInline(_FollowsDelivery, admin.StackedInline[Response, Delivery]):
    model = Response
    form = ResponseAdminForm
    extra = 0
    fields = ["received_on", "channel", "summary", "view", "scan", "recorded_by", "recorded_at"]
    readonly_fields = ["view", "recorded_by", "recorded_at"]

    @admin.display(description=_("stored scan"))
    def view(self, obj: Response) -> str:
        if not obj.pk or not obj.scan:
            return "—"
        url = reverse("deliveries:response-scan", args=[obj.delivery_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("open"))


class DeliveryAdminForm(forms.ModelForm[Delivery]):
    user: Any = None

    class Meta:
        model = Delivery
        fields = ["status", "delivered_by", "delivered_at", "received_by", "notes", "packet_sha256"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is not None and self.user is not None:
            allowed = services.allowed_statuses(self.user, self.instance)
            if data.get("status") not in allowed:
                raise ValidationError(_("Only an organiser can correct a recorded delivery."))
        try:
            recorded = services.check(
                data.get("status") or "",
                by=data.get("delivered_by") or "",
                at=data.get("delivered_at"),
                received_by=data.get("received_by") or "",
                notes=data.get("notes") or "",
                packet_sha256=data.get("packet_sha256") or "",
            )
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
            return data
        data.update(
            delivered_by=recorded.delivered_by,
            delivered_at=recorded.delivered_at,
            received_by=recorded.received_by,
            notes=recorded.notes,
            packet_sha256=recorded.packet_sha256,
        )
        return data


@admin.register(Delivery)
class DeliveryAdmin(CampaignScopedAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    campaign_lookup = "campaign"
    any_role = True
    form = DeliveryAdminForm
    list_display = ["mission", "host_country", "campaign", "status", "delivered_at", "updated_by"]
    list_filter = ["status", "campaign", "mission__host_country"]
    list_select_related = ["mission", "campaign", "updated_by"]
    search_fields = ["mission__name", "mission__city", "delivered_by", "received_by"]
    readonly_fields = ["campaign", "mission", "email_proof", "updated_at", "updated_by"]
    fields = [
        "campaign",
        "mission",
        "status",
        "delivered_by",
        "delivered_at",
        "received_by",
        "notes",
        "packet_sha256",
        "email_proof",
        "updated_at",
        "updated_by",
    ]
    inlines = [EvidenceInline, ResponseInline]
    actions = ["sync_email"]
    change_list_template = "deliveries/admin/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        queryset: QuerySet[Delivery] = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        allowed = [deliveries_for(request.user, c) for c in campaigns_for(request.user)]
        if not allowed:
            return queryset.none()
        pks = functools.reduce(operator.or_, allowed).values("pk")
        return queryset.filter(pk__in=pks)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _has_deliveries(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request.user.is_superuser or any(
                is_organiser(request.user, c) for c in campaigns_for(request.user)
            )
        return is_organiser(request.user, obj.campaign_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Deliveries are planned from the directory (plan_deliveries), not typed in.
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request: HttpRequest, obj: Delivery, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        obj._history_user = request.user  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Evidence) and instance.uploaded_by_id is None:
                instance.uploaded_by = request.user  # type: ignore[assignment]
            if isinstance(instance, Response):
                if instance.recorded_by_id is None:
                    instance.recorded_by = request.user  # type: ignore[assignment]
                instance._history_user = request.user  # type: ignore[attr-defined]
            instance.save()
        for removed in formset.deleted_objects:
            # A deleted photo goes from the disk too, not only from the list.
            stored = removed.file if isinstance(removed, Evidence) else removed.scan
            removed.delete()
            if stored:
                stored.delete(save=False)
        formset.save_m2m()

    @admin.display(description=_("country"), ordering="mission__host_country")
    def host_country(self, obj: Delivery) -> str:
        return obj.mission.host_country

    @admin.display(description=_("e-mail delivery"))
    def email_proof(self, obj: Delivery) -> str:
        message = obj.message
        if message is None:
            return "—"
        sent = message.sent_at.isoformat() if message.sent_at else "—"
        return format_html(
            "{} · {} {} · Message-ID {}",
            message.get_status_display(),
            _("sent"),
            sent,
            message.message_id or "—",
        )

    @admin.action(description=_("Record the outcome of sent e-mails now"))
    def sync_email(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        counts = emailing.sync_email_deliveries(within=queryset)
        self.message_user(
            request,
            _("%(emailed)d recorded as e-mailed, %(failed)d as failed.") % counts,
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "plan/",
                self.admin_site.admin_view(self.plan_view),
                name="deliveries_delivery_plan",
            )
        ]
        urls: list[URLPattern] = super().get_urls()
        return extra + urls

    def plan_view(self, request: HttpRequest) -> HttpResponse:
        """Plan the deliveries of a campaign: one per open mission of its government."""
        campaigns = [
            c for c in Campaign.objects.order_by("-year", "title") if is_organiser(request.user, c)
        ]
        if request.method == "POST":
            chosen = [c for c in campaigns if str(c.pk) == request.POST.get("campaign")]
            for campaign in chosen:
                created = services.plan_deliveries(campaign, user=request.user)
                messages.success(
                    request,
                    _("%(count)d deliveries planned for %(campaign)s.")
                    % {"count": created, "campaign": campaign},
                )
            return HttpResponseRedirect(reverse("admin:deliveries_delivery_changelist"))
        rows = [(c, Delivery.objects.filter(campaign=c).count()) for c in campaigns]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Plan deliveries"),
            "rows": rows,
        }
        return TemplateResponse(request, "deliveries/admin/plan.html", context)

"""Admin pages of the webhooks, each organiser for their own campaigns (CampaignScopedAdmin).

Endpoints may be added, changed (address, events, on or off) and deleted; a
new endpoint's secret is shown once, in the message after saving. Deliveries
are read only, with every attempt, and can be replayed (same body, same
event id).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import CampaignScopedAdmin, ReadOnlyLines
from safepassage.webhooks import services
from safepassage.webhooks.forms import EndpointAdminForm
from safepassage.webhooks.models import Attempt, Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(CampaignScopedAdmin):
    campaign_lookup = "campaign"
    form = EndpointAdminForm
    list_display = ["url", "campaign", "description", "active", "created_at"]
    list_filter = ["active", "campaign"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = None if change else services.set_secret(obj)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if secret is not None:
            self.message_user(
                request,
                format_html(
                    "{} <code>{}</code>",
                    gettext("Copy the endpoint's secret now: it is shown only once."),
                    secret,
                ),
                messages.WARNING,
            )


class AttemptInline(ReadOnlyLines, admin.TabularInline[Attempt, Any]):
    model = Attempt
    extra = 0
    fields = ("number", "at", "status_code", "duration_ms", "error", "response_prefix", "replay")
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(CampaignScopedAdmin):
    campaign_lookup = "endpoint__campaign"
    list_display = ["event", "event_id", "endpoint", "status", "attempts", "created_at"]
    list_filter = ["status", "event"]
    fields = (
        "endpoint", "event", "event_id", "status", "attempts", "next_attempt_at",
        "created_at", "delivered_at", "body",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["replay"]

    @admin.display(description=_("body"))
    def body(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected deliveries again (same event id)"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.replay(queryset)
        self.message_user(
            request,
            gettext("%(count)d deliveries will be sent again.") % {"count": count},
            messages.SUCCESS,
        )

"""Admin pages of the updates, read only, each organiser for their own campaigns.

Updates are written and sent on the team pages (``/team/<campaign>/updates/``),
which count the recipients and pace the sending; here they can be looked at,
with their texts and how many of their messages were sent. Unsubscribes are
the audit trail of the one-click links (no address, no name).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import OrganisersReadOnly, ReadOnlyLines
from safepassage.updates import services
from safepassage.updates.models import Unsubscribe, Update, UpdateText


class UpdateTextInline(ReadOnlyLines, admin.StackedInline[UpdateText, Any]):
    model = UpdateText
    extra = 0
    fields = ("language", "subject", "body")
    readonly_fields = fields


@admin.register(Update)
class UpdateAdmin(OrganisersReadOnly):
    campaign_lookup = "campaign"
    list_display = ["__str__", "campaign", "audience", "status", "recipients", "queued_at"]
    list_filter = ["status", "audience", "campaign"]
    fields = (
        "campaign", "audience", "event", "default_language", "status", "created_at",
        "queued_at", "recipients", "progress",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [UpdateTextInline]

    @admin.display(description=_("progress"))
    def progress(self, obj: Update) -> str:
        counts = services.progress(obj)
        return ", ".join(f"{name}: {n}" for name, n in counts.items())


@admin.register(Unsubscribe)
class UnsubscribeAdmin(OrganisersReadOnly):
    campaign_lookup = "campaign"
    list_display = ["kind", "ref", "campaign", "previous", "via", "at"]
    list_filter = ["kind", "via", "campaign"]
    fields = ("campaign", "kind", "ref", "previous", "via", "at")
    readonly_fields = fields

"""Read-only admin of packet builds: states and hashes, never the files' contents."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.packets.models import Packet, PacketBuild, PacketDownload


class ReadOnlyAdmin(CampaignScopedAdmin):
    """Builds are made and changed by the packet pages and tasks only; each campaign's its own."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PacketBuild)
class PacketBuildAdmin(ReadOnlyAdmin):
    campaign_lookup = "campaign"
    list_display = ("pk", "campaign", "petition", "scope", "status", "total", "created_at")
    list_filter = ("status", "scope")
    fields = (
        "campaign",
        "petition",
        "scope",
        "status",
        "snapshot_at",
        "max_signature_id",
        "total",
        "created_by",
        "created_at",
        "finished_at",
        "zip_sha256",
    )


@admin.register(Packet)
class PacketAdmin(ReadOnlyAdmin):
    campaign_lookup = "build__campaign"
    list_display = (
        "build",
        "mission",
        "status",
        "stale_reason",
        "total_count",
        "pages",
        "attempts",
    )
    list_filter = ("status", "stale_reason")
    list_select_related = ("build__campaign", "mission")
    fields = (
        "build",
        "mission",
        "status",
        "error",
        "attempts",
        "sha256",
        "pages",
        "named_count",
        "unnamed_count",
        "withheld_count",
        "total_count",
        "petition_total",
        "snapshot_at",
        "stale_reason",
        "stale_since",
        "built_at",
    )


@admin.register(PacketDownload)
class PacketDownloadAdmin(ReadOnlyAdmin):
    campaign_lookup = "build__campaign"
    list_display = ("created_at", "build", "packet", "user", "sha256")
    list_select_related = ("build__campaign", "packet__mission", "user")
    fields = ("build", "packet", "user", "sha256", "created_at")

"""A base for admin pages that organisers read but never change there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safepassage.accounts.permissions import organiser_campaigns


class OrganisersReadOnly(admin.ModelAdmin[Any]):
    """Shown to organisers of any campaign; nothing is added, changed or deleted here.

    Subclasses narrow ``get_queryset`` to the rows of the user's campaigns
    (``organiser_campaigns``) and may allow changes where a page needs them.
    """

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

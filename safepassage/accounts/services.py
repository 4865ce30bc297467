"""Organisers work in the Django admin: the staff flag and the Organisers group.

The group carries Django's model permissions for the apps organisers manage;
what each organiser sees there is narrowed to their campaigns by
CampaignScopedAdmin (admin_mixins.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ORGANISER_APPS = [
    "campaigns",
    "signatures",
    "outbox",
    "directory",
    "events",
    "deliveries",
    "accounts",
]


def organisers_group() -> Group:
    group, _ = Group.objects.get_or_create(name="Organisers")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=ORGANISER_APPS))
    return group


def grant_admin(user: Any) -> None:
    """Give an organiser the admin: staff flag and the Organisers group."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(organisers_group())

"""Accounts, groups and the task queue in the admin: superusers only.

Django and django-tasks register these admins themselves; they are
registered again here under the rule of CampaignScopedAdmin, so that no
organiser (whatever Django permissions a group gives them) can make
themselves or anyone superuser or staff, edit the people of another
campaign, or read task arguments. Organisers give roles in their own
campaigns on the roles page and by invitation.
"""

from __future__ import annotations

from django.contrib import admin

from safepassage.accounts.admin_mixins import SUPERUSERS, CampaignScopedAdmin

# The apps whose own admins are re-registered here: accounts, the task
# queue, lockouts (axes) and second-factor devices (django-otp). Any other
# admin without a rule fails accounts/tests/test_admin_isolation.py.
SUPERUSER_APPS = frozenset(
    {"auth", "django_tasks_database", "axes", "otp_totp", "otp_static", "otp_webauthn"}
)


class SuperusersOnly(CampaignScopedAdmin):
    rule = SUPERUSERS


def restrict_to_superusers(site: admin.AdminSite | None = None) -> None:
    """Re-register the admins of SUPERUSER_APPS under the SUPERUSERS rule.

    Called from AccountsConfig.ready, after the admin's autodiscovery has
    imported every app's admin module (apps listed after accounts included).
    """
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label not in SUPERUSER_APPS:
            continue
        if isinstance(model_admin, CampaignScopedAdmin):
            continue
        original = type(model_admin)
        scoped = type(f"SuperusersOnly{original.__name__}", (SuperusersOnly, original), {})
        site.unregister(model)
        site.register(model, scoped)

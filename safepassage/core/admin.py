"""The Campaign admin, as core completes it: its creator organises it; next year's campaign.

campaigns/admin.py defines the page; core (the top layer, which alone may
reach every app a rollover copies) registers it again with:

- the creator of a campaign made on the add page gets the organiser role in
  it, so its team pages (/team/<slug>/dashboard/) open for them at once;
- the action "Start next year's campaign", which asks for the new title,
  address and day of action on a confirmation page (core/rollover.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepassage.accounts.models import Role
from safepassage.accounts.permissions import is_organiser
from safepassage.accounts.reauth import reauth_required_action
from safepassage.campaigns.admin import CampaignAdmin
from safepassage.campaigns.models import Campaign
from safepassage.core import rollover
from safepassage.core.forms import RolloverForm
from safepassage.core.rollover_views import run

admin.site.unregister(Campaign)


@admin.register(Campaign)
class CoreCampaignAdmin(CampaignAdmin):
    # campaigns/admin.py's page has no actions of its own (add them here if it gets some).
    actions = ["start_next_year"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            Role.objects.get_or_create(user=request.user, campaign=obj, kind=Role.Kind.ORGANISER)

    @admin.action(description=gettext_lazy("Start next year's campaign"))
    @reauth_required_action
    def start_next_year(
        self, request: HttpRequest, queryset: QuerySet[Campaign]
    ) -> HttpResponse | None:
        campaigns = list(queryset[:2])
        if len(campaigns) != 1 or not is_organiser(request.user, campaigns[0]):
            self.message_user(
                request, _("Choose one campaign that you organise."), messages.WARNING
            )
            return None
        old = campaigns[0]
        data = request.POST if "confirm" in request.POST else None
        form = RolloverForm(data, campaign=old, initial=rollover.defaults(old))
        if form.is_valid() and run(request, old, form) is not None:
            return HttpResponseRedirect(reverse("admin:campaigns_campaign_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Start next year's campaign"),
            "campaign": old,
            "form": form,
            "before_day": old.day_of_action >= timezone.localdate(),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/campaigns/campaign/next_year.html", context)

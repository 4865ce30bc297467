"""The team's "Start next year's campaign" page (the admin action is in core/admin.py).

Organisers of the campaign only (others with a role: 403; without one: 404),
after a fresh password and second-factor check (accounts/reauth.py), since it
archives the campaign and ends its signing. The work is core/rollover.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from safepassage.accounts import permissions
from safepassage.accounts.reauth import reauth_redirect, recently_reauthenticated
from safepassage.campaigns.models import Campaign
from safepassage.core import rollover
from safepassage.core.forms import RolloverForm


def run(request: HttpRequest, old: Campaign, form: RolloverForm) -> rollover.Rollover | None:
    """Make the copy from a valid form; report the outcome to the person (admin or team page)."""
    try:
        result = rollover.start_next_year(
            old,
            title=form.cleaned_data["title"],
            slug=form.cleaned_data["slug"],
            day_of_action=form.cleaned_data["day_of_action"],
            user=request.user,
        )
    except rollover.RolloverError as error:
        form.add_error(None, str(error))
        return None
    messages.success(
        request,
        _(
            "%(new)s is ready as a draft: %(petitions)d petitions, %(letters)d letters to "
            "approve again, %(events)d draft events, %(roles)d roles. %(old)s is in the archive."
        )
        % {
            "new": result.campaign,
            "petitions": result.petitions,
            "letters": result.letters,
            "events": result.events,
            "roles": result.roles,
            "old": old,
        },
    )
    return result


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def next_year(request: HttpRequest, campaign: str) -> HttpResponse:
    old = get_object_or_404(Campaign, slug=campaign)
    permissions.require_organiser(request.user, old)
    if not recently_reauthenticated(request):
        return reauth_redirect(request)
    data = request.POST if request.method == "POST" else None
    form = RolloverForm(data, campaign=old, initial=rollover.defaults(old))
    if form.is_valid():
        result = run(request, old, form)
        if result is not None:
            return redirect("team:dashboard", result.campaign.slug)
    context = {
        "campaign": old,
        "organiser": True,
        "form": form,
        "before_day": old.day_of_action >= timezone.localdate(),
    }
    return render(request, "core/next_year.html", context)

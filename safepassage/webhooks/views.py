"""The organisers' webhook pages of a campaign: endpoints, what was sent, replays.

Organisers only (``accounts.permissions.require_organiser``): no account →
the team login page; no role in the campaign → 404; another role → 403.
Making an endpoint asks for fresh authentication (accounts.reauth): it sends
the campaign's figures somewhere else. Its secret is shown on the answer to
that request only, and is never shown again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safepassage.accounts import permissions
from safepassage.accounts.reauth import reauth_required
from safepassage.campaigns.models import Campaign
from safepassage.webhooks import services
from safepassage.webhooks.forms import EndpointForm
from safepassage.webhooks.models import Delivery, Endpoint

team_login_required = login_required(login_url="accounts:login")
SHOWN_DELIVERIES = 50


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    permissions.require_organiser(request.user, campaign)
    return campaign


def _endpoint(campaign: Campaign, pk: int) -> Endpoint:
    return get_object_or_404(Endpoint, campaign=campaign, pk=pk)


@never_cache
@team_login_required
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    endpoints = Endpoint.objects.filter(campaign=the_campaign)
    return render(
        request,
        "webhooks/index.html",
        {"campaign": the_campaign, "organiser": True, "endpoints": endpoints},
    )


@never_cache
@team_login_required
@reauth_required
def create(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint, secret = services.create_endpoint(
            the_campaign,
            form.cleaned_data["url"],
            form.cleaned_data["events"],
            description=form.cleaned_data["description"],
            user=request.user,
        )
        return render(
            request,
            "webhooks/created.html",
            {"campaign": the_campaign, "organiser": True, "endpoint": endpoint, "secret": secret},
        )
    return render(
        request, "webhooks/create.html", {"campaign": the_campaign, "organiser": True, "form": form}
    )


@never_cache
@team_login_required
def endpoint(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    the_endpoint = _endpoint(the_campaign, pk)
    if request.method == "POST":
        the_endpoint.active = request.POST.get("active") == "1"
        the_endpoint.save(update_fields=["active"])
        return redirect("webhooks:endpoint", the_campaign.slug, the_endpoint.pk)
    deliveries = list(
        Delivery.objects.filter(endpoint=the_endpoint).prefetch_related("log")[:SHOWN_DELIVERIES]
    )
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "campaign": the_campaign,
            "organiser": True,
            "endpoint": the_endpoint,
            "deliveries": deliveries,
        },
    )


@require_POST
@team_login_required
def delete(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    _endpoint(the_campaign, pk).delete()
    messages.success(request, _("The endpoint was deleted."))
    return redirect("webhooks:index", the_campaign.slug)


@require_POST
@team_login_required
def replay(request: HttpRequest, campaign: str, pk: int, delivery: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    the_endpoint = _endpoint(the_campaign, pk)
    the_delivery = get_object_or_404(Delivery, endpoint=the_endpoint, pk=delivery)
    services.replay([the_delivery])
    messages.success(request, _("The event will be sent again, with the same event id."))
    return redirect("webhooks:endpoint", the_campaign.slug, the_endpoint.pk)

"""The team's pages: invitations, the coordinator dashboard and the organisers' board.

The team app sits above the apps whose work it shows (events, deliveries,
the directory); accounts, below them all, only knows people and their roles.

Every view loads the campaign and checks the user's role in it on the
server (permissions.py): no account → the team login page; an account with
no role in the campaign → 404 (the page does not exist for them); a role
that does not allow the page → 403.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from safepassage.accounts import permissions
from safepassage.accounts.models import INVITATION_DAYS, Invitation, Role
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.permissions import deliveries_for
from safepassage.events.models import RSVP
from safepassage.events.permissions import events_for, rsvp_events_for
from safepassage.team import invitations
from safepassage.team.board import build_board
from safepassage.team.forms import InviteForm, JoinForm
from safepassage.team.mail import describe_assignments


def _campaign_and_roles(request: HttpRequest, slug: str) -> tuple[Campaign, set[str]]:
    campaign = get_object_or_404(Campaign, slug=slug)
    kinds = permissions.role_kinds(request.user, campaign)
    if not kinds:
        raise Http404
    return campaign, kinds


@never_cache
@login_required
def index(request: HttpRequest) -> HttpResponse:
    campaigns = [
        (campaign, permissions.is_organiser(request.user, campaign))
        for campaign in permissions.campaigns_for(request.user).order_by("-year", "title")
    ]
    return render(request, "team/index.html", {"campaigns": campaigns})


@never_cache
@login_required
def dashboard(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    user: Any = request.user
    confirmed = Q(rsvps__status=RSVP.Status.CONFIRMED)
    events = list(
        events_for(user, the_campaign)
        .select_related("mission", "host")
        .annotate(
            confirmed_rsvps=Count("rsvps", filter=confirmed),
            confirmed_people=Sum("rsvps__people", filter=confirmed),
            pending_rsvps=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.PENDING)),
        )
        .order_by("starts_at", "pk")
    )
    # The same rule as events.permissions.can_see_rsvp_names, in one query for all events.
    named = set(rsvp_events_for(user, the_campaign).values_list("pk", flat=True)) & {
        event.pk for event in events
    }
    names: dict[int, list[Any]] = defaultdict(list)
    for rsvp in (
        RSVP.objects.filter(event_id__in=named, status=RSVP.Status.CONFIRMED)
        .only("event_id", "name", "people")
        .order_by("created_at", "pk")
    ):
        names[rsvp.event_id].append(rsvp)
    rows = [(event, event.pk in named, names.get(event.pk, [])) for event in events]
    deliveries = [
        (delivery, reverse("deliveries:detail", args=[delivery.pk]))
        for delivery in deliveries_for(user, the_campaign)
        .select_related("mission", "updated_by")
        .order_by("mission__host_country", "mission__city", "mission__name")
    ]
    roles = (
        Role.objects.filter(user=user, campaign=the_campaign)
        .select_related("organisation")
        .prefetch_related("assignments__mission", "assignments__event")
    )
    context = {
        "campaign": the_campaign,
        "organiser": Role.Kind.ORGANISER in kinds,
        "partner_editor": Role.Kind.PARTNER_EDITOR in kinds,
        "roles": roles,
        "rows": rows,
        "deliveries": deliveries,
    }
    return render(request, "team/dashboard.html", context)


@never_cache
@login_required
def board(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    if Role.Kind.ORGANISER not in kinds:
        raise PermissionDenied
    context = {"campaign": the_campaign, "organiser": True, "board": build_board(the_campaign)}
    return render(request, "team/board.html", context)


@never_cache
@login_required
@sensitive_post_parameters("email")
def invite(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    if Role.Kind.ORGANISER not in kinds:
        raise PermissionDenied
    form = InviteForm(the_campaign, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation = invitations.invite(
            campaign=the_campaign,
            invited_by=request.user,
            email=data["email"],
            name=data["name"],
            kind=data["kind"],
            organisation=data["organisation"],
            assignments=form.assignments(),
            language=data["language"],
        )
        # The message names the person, never the address: messages travel in
        # a cookie or the session.
        messages.success(
            request,
            _("The invitation for %(name)s is on its way.") % {"name": invitation.name},
        )
        return redirect("team:invite", campaign=the_campaign.slug)
    listed = [
        (invitation, invitation.state(), describe_assignments(invitation))
        for invitation in Invitation.objects.filter(campaign=the_campaign)
        .select_related("organisation", "invited_by", "accepted_by")
        .order_by("-created_at", "-pk")[:100]
    ]
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "form": form,
        "invitations": listed,
        "days": INVITATION_DAYS,
    }
    return render(request, "team/invite.html", context)


def _unusable(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "team/join_invalid.html", {"reason": reason}, status=status)


@never_cache
@sensitive_post_parameters("password1", "password2")
def join(request: HttpRequest, token: UUID) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("campaign", "organisation", "invited_by")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        return _unusable(request, "unknown", 404)
    state = invitation.state()
    if state != "pending":
        return _unusable(request, state, 410)
    user: Any = request.user if request.user.is_authenticated else None
    form = None
    error = ""
    if user is None:
        first, _space, last = invitation.name.strip().rpartition(" ")
        initial = {"first_name": first or last, "last_name": last if first else ""}
        form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST":
        account = user
        if form is not None:
            account = form.save(commit=False) if form.is_valid() else None
        if account is not None:
            try:
                invitations.accept(invitation.pk, account)
            except invitations.InvitationUnusable as unusable:
                return _unusable(request, unusable.reason, 410)
            except invitations.RoleConflict as conflict:
                error = str(conflict)
            else:
                if user is None:
                    login(request, account, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("Welcome: you are now %(role)s for %(campaign)s.")
                    % {"role": invitation.get_kind_display(), "campaign": invitation.campaign},
                )
                return redirect("team:dashboard", campaign=invitation.campaign.slug)
    context = {
        "invitation": invitation,
        "form": form,
        "error": error,
        "assignments": describe_assignments(invitation),
        "expires_at": invitation.expires_at(),
        "login_url": f"{resolve_url(settings.LOGIN_URL)}?next={request.path}",
    }
    return render(request, "team/join.html", context)

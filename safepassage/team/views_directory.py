"""The team's directory pages: a mission's record, proposing a correction, the organisers' queue.

- A mission's record (``directory_mission``): per field, the value, its
  source, who verified it and when, or "unverified"; the proposals on it
  (organisers see who proposed; anyone else only their own).
- Proposing (``directory_propose``): coordinators for their assigned missions,
  partner editors for any mission of the target government, organisers.
- The queue and the decision page (organisers): the proposed values beside
  the current ones and their sources; accept field by field, reject with a
  reason or ask for more.
- Freshness (organisers): the missions to deliver to whose address is missing
  or stale.
- Sharing corrections back (organisers, ``directory_corrections``): the
  accepted corrections as a CSV in the bundled directory file's format
  (directory/corrections.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from safepassage.accounts import permissions
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.directory import corrections, freshness, verification
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Proposal
from safepassage.lib.geo.areamap import area_map
from safepassage.lib.uploads import CONTENT_TYPES
from safepassage.team.forms_directory import CorrectionsExportForm, DecisionForm, ProposalForm
from safepassage.team.views import _campaign_and_roles


def _mission(request: HttpRequest, campaign: Campaign, pk: int) -> Mission:
    mission = get_object_or_404(Mission, pk=pk)
    if not verification.can_propose(request.user, campaign, mission):
        raise PermissionDenied
    return mission


def _organiser(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    permissions.require_organiser(request.user, campaign)
    return campaign


@never_cache
@login_required
def directory_missions(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    missions = verification.proposable_missions(request.user, the_campaign)
    rows = freshness.freshness_of(missions, timezone.localdate())
    context = {
        "campaign": the_campaign,
        "organiser": Role.Kind.ORGANISER in kinds,
        "rows": [rows[m.pk] for m in missions],
    }
    return render(request, "team/directory/missions.html", context)


@never_cache
@login_required
def directory_mission(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    mission = _mission(request, the_campaign, pk)
    organiser = Role.Kind.ORGANISER in kinds
    proposals = Proposal.objects.filter(mission=mission, campaign=the_campaign)
    if not organiser:
        user: Any = request.user
        proposals = proposals.filter(proposer_id=user.pk)
    context = {
        "campaign": the_campaign,
        "organiser": organiser,
        "mission": mission,
        "provenance": verification.provenance(mission),
        "proposals": proposals.select_related("proposer").prefetch_related("values"),
    }
    return render(request, "team/directory/mission.html", context)


@never_cache
@login_required
def directory_propose(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign, _kinds = _campaign_and_roles(request, campaign)
    mission = _mission(request, the_campaign, pk)
    form = ProposalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            verification.propose(
                user=request.user,
                campaign=the_campaign,
                mission=mission,
                values=form.values(),
                evidence=data["evidence"],
                source_url=data.get("source_url") or "",
                source_date=data.get("source_date"),
                photo=form.clean_photo_file,
                comment=data.get("comment") or "",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you: the organisers will check your proposal."))
            return redirect("team:directory_mission", campaign=the_campaign.slug, pk=mission.pk)
    point = (mission.latitude, mission.longitude) if mission.has_coordinates else None
    context = {
        "campaign": the_campaign,
        "mission": mission,
        "form": form,
        "provenance": verification.provenance(mission),
        "map": area_map(mission.host_country, mission.city, point, label=mission.name),  # type: ignore[arg-type]
    }
    return render(
        request, "team/directory/propose.html", context, status=400 if form.errors else 200
    )


@never_cache
@login_required
def directory_queue(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organiser(request, campaign)
    proposals = (
        Proposal.objects.filter(campaign=the_campaign)
        .select_related("mission", "proposer")
        .prefetch_related("values")
    )
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "waiting": proposals.filter(status__in=[Proposal.Status.OPEN, Proposal.Status.MORE]),
        "decided": proposals.exclude(status__in=[Proposal.Status.OPEN, Proposal.Status.MORE])[:50],
        "export_form": CorrectionsExportForm(),
    }
    return render(request, "team/directory/queue.html", context)


@never_cache
@login_required
def directory_proposal(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _organiser(request, campaign)
    proposal = get_object_or_404(
        Proposal.objects.select_related("mission", "proposer", "decided_by"),
        pk=pk,
        campaign=the_campaign,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "ask":
                verification.ask_more(proposal, request.user, data["reason"])
            else:
                verification.decide(proposal, request.user, set(data["accept"]), data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Decided; the proposer is told by e-mail."))
            return redirect("team:directory_queue", campaign=the_campaign.slug)
    current = {row.field: row for row in verification.provenance(proposal.mission)}
    diff = [(value, current[value.field]) for value in proposal.values.all()]
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "proposal": proposal,
        "mission": proposal.mission,
        "diff": diff,
        "form": form,
    }
    return render(
        request, "team/directory/proposal.html", context, status=400 if form.errors else 200
    )


@never_cache
@login_required
def directory_photo(request: HttpRequest, campaign: str, pk: int) -> FileResponse:
    the_campaign, kinds = _campaign_and_roles(request, campaign)
    proposal = get_object_or_404(Proposal, pk=pk, campaign=the_campaign)
    user: Any = request.user
    if Role.Kind.ORGANISER not in kinds and proposal.proposer_id != user.pk:
        raise PermissionDenied
    if not proposal.photo:
        raise Http404
    extension = proposal.photo.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        proposal.photo.open("rb"),
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        filename=f"proposal-{proposal.pk}.{extension}",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
def directory_freshness(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organiser(request, campaign)
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "report": freshness.campaign_freshness(the_campaign),
        "months": freshness.max_age_months(),
        "export_form": CorrectionsExportForm(),
    }
    return render(request, "team/directory/freshness.html", context)


@never_cache
@login_required
def directory_corrections(request: HttpRequest, campaign: str) -> HttpResponseBase:
    """The accepted corrections of the target government's missions, as a CSV download."""
    the_campaign = _organiser(request, campaign)
    form = CorrectionsExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Give the date as YYYY-MM-DD, or leave it empty."))
        return redirect("team:directory_freshness", campaign=the_campaign.slug)
    since = form.cleaned_data["since"]
    state = the_campaign.target_government
    text, _count = corrections.export_csv(state, since)
    name = f"corrections-{state}{f'-since-{since.isoformat()}' if since else ''}.csv"
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

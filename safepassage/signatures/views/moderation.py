"""The organisers' moderation page: withhold names, invalidate floods, reverse actions.

Organisers only (brief, section 3): no account → the team login page; no
role in the campaign → 404; a partner editor or coordinator → 403. The page
shows names, places and times of signatures, never an e-mail address (it
has none to show: only keyed hashes are stored). The rules live in
signatures/moderation.py; these views only parse forms and report.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safepassage.accounts import permissions
from safepassage.accounts.reauth import reauth_required
from safepassage.campaigns.models import Campaign, Petition
from safepassage.signatures import moderation
from safepassage.signatures.models import ModerationAction, Signature

team_login_required = login_required(login_url="accounts:login")

SEARCH_LIMIT = 200
ACTIONS_SHOWN = 100


class IdsField(forms.Field):
    """The ticked signatures: a list of primary keys."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise ValidationError(_("Choose signatures from the list.")) from None

    def validate(self, value: Any) -> None:
        if not value:
            raise ValidationError(_("Tick at least one signature."))


class NamesForm(forms.Form):
    HIDE, SHOW = "hide", "show"

    signatures = IdsField()
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    kind = forms.ChoiceField(choices=[(HIDE, HIDE), (SHOW, SHOW)], initial=HIDE)


class InvalidateForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("E-mail domain"),
        max_length=253,
        required=False,
        help_text=gettext_lazy(
            "For example mailinator.com. It is hashed on the server and compared with the "
            "hashed domains of the signatures; no plain domain is stored with a signature."
        ),
    )
    ip_hash = forms.CharField(
        label=gettext_lazy("IP hash or IP address"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("An IP address typed here is hashed and not kept."),
    )
    start = forms.DateTimeField(
        label=gettext_lazy("Signed from (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Signed before (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    criteria: moderation.Criteria

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.criteria = moderation.Criteria.build(
                domain=data.get("domain"),
                ip_hash=data.get("ip_hash"),
                start=data.get("start"),
                end=data.get("end"),
            )
        except moderation.ModerationError as error:
            raise ValidationError(error.message) from None
        return data


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    kinds = permissions.role_kinds(request.user, campaign)
    if not kinds:
        raise Http404
    if not permissions.is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


def _petition(campaign: Campaign, slug: str | None) -> Petition:
    petitions = Petition.objects.filter(campaign=campaign).order_by("slug")
    petition = petitions.filter(slug=slug).first() if slug else petitions.first()
    if petition is None:
        raise Http404
    return petition


def _warn(request: HttpRequest, action: ModerationAction) -> None:
    """What the action left the organiser to do, as the apps above reported it (its notes)."""
    for note in action.notes:
        messages.warning(request, note)


def _page_url(campaign: Campaign, petition: Petition) -> str:
    return f"{reverse('signatures:moderation', args=[campaign.slug])}?petition={petition.slug}"


def search(petition: Petition, query: str) -> QuerySet[Signature]:
    """Signatures whose first or last name contains every word of the query."""
    rows = Signature.objects.filter(petition=petition)
    for word in query.split()[:5]:
        rows = rows.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    # Only what the page shows: the hashed and encrypted e-mail never leave the database.
    return rows.only(
        "pk", "first_name", "last_name", "city", "country", "status", "confirmed_at",
        "created_at", "review_reason", "name_withheld", "publish_name", "ip_hash",
    ).order_by("last_name", "first_name", "pk")  # fmt: skip


def _render(
    request: HttpRequest,
    campaign: Campaign,
    petition: Petition,
    *,
    names_form: NamesForm | None = None,
    invalidate_form: InvalidateForm | None = None,
    preview: dict[str, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:100]
    results = list(search(petition, query)[: SEARCH_LIMIT + 1]) if query else []
    actions = list(
        ModerationAction.objects.filter(petition=petition).select_related(
            "created_by", "reversed_by"
        )[:ACTIONS_SHOWN]
    )
    context = {
        "campaign": campaign,
        "organiser": True,
        "petition": petition,
        "petitions": list(Petition.objects.filter(campaign=campaign).order_by("slug")),
        "query": query,
        "results": results[:SEARCH_LIMIT],
        "more_results": len(results) > SEARCH_LIMIT,
        "names_form": names_form or NamesForm(),
        "invalidate_form": invalidate_form
        or InvalidateForm(initial={"ip_hash": request.GET.get("ip_hash", "")[:64]}),
        "preview": preview,
        "actions": actions,
        "marker": moderation.MODERATION_MARKER,
    }
    return render(request, "moderation/index.html", context, status=status)


@never_cache
@team_login_required
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    return _render(request, the_campaign, _petition(the_campaign, request.GET.get("petition")))


@never_cache
@team_login_required
@require_POST
@reauth_required
def names(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    petition = _petition(the_campaign, request.POST.get("petition"))
    form = NamesForm(request.POST)
    if not form.is_valid():
        return _render(request, the_campaign, petition, names_form=form, status=400)
    data = form.cleaned_data
    service = moderation.hide_names if data["kind"] == NamesForm.HIDE else moderation.unhide_names
    try:
        action = service(petition, data["signatures"], data["reason"], request.user)
    except moderation.ModerationError as error:
        messages.error(request, error.message)
    else:
        if action.kind == ModerationAction.Kind.HIDE_NAMES:
            text = ngettext(
                "The name of %(n)d signature is withheld from the packets.",
                "The names of %(n)d signatures are withheld from the packets.",
                action.affected,
            )
        else:
            text = ngettext(
                "The name of %(n)d signature will be handed over again.",
                "The names of %(n)d signatures will be handed over again.",
                action.affected,
            )
        messages.success(request, text % {"n": action.affected})
        _warn(request, action)
    return redirect(_page_url(the_campaign, petition))


@never_cache
@team_login_required
@require_POST
@reauth_required
def invalidate(request: HttpRequest, campaign: str) -> HttpResponse:
    """First a preview (how many, nothing changed), then the same form confirmed."""
    the_campaign = _campaign(request, campaign)
    petition = _petition(the_campaign, request.POST.get("petition"))
    form = InvalidateForm(request.POST)
    if not form.is_valid():
        return _render(request, the_campaign, petition, invalidate_form=form, status=400)
    if request.POST.get("step") != "confirm":
        matching = form.criteria.matching(petition)
        preview = {
            "total": matching.count(),
            "counted": matching.filter(status=Signature.Status.CONFIRMED, review_reason="").count(),
        }
        return _render(request, the_campaign, petition, invalidate_form=form, preview=preview)
    data = form.cleaned_data
    try:
        action = moderation.invalidate(
            petition,
            domain=data["domain"] or None,
            ip_hash=data["ip_hash"] or None,
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            user=request.user,
        )
    except moderation.ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d signature is no longer counted. Totals are being recomputed.",
                "%(n)d signatures are no longer counted. Totals are being recomputed.",
                action.affected,
            )
            % {"n": action.affected},
        )
        _warn(request, action)
    return redirect(_page_url(the_campaign, petition))


@never_cache
@team_login_required
@require_POST
@reauth_required
def reverse_action(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    action = get_object_or_404(
        ModerationAction.objects.select_related("petition"), pk=pk, petition__campaign=the_campaign
    )
    try:
        restored = moderation.reverse(action, request.user)
    except moderation.ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "Action #%(id)d reversed: %(n)d signature restored.",
                "Action #%(id)d reversed: %(n)d signatures restored.",
                restored,
            )
            % {"id": action.pk, "n": restored},
        )
        _warn(request, action)
    return redirect(_page_url(the_campaign, action.petition))

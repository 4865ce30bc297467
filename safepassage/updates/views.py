"""The organisers' update pages, and the public unsubscribe link of every update.

Organisers only (brief, section 3): no account → the team login page; no
role in the campaign → 404; another role → 403. The pages show counts of
recipients and of messages, never a name or an address. Sending asks for
fresh authentication (accounts.reauth). The unsubscribe link needs no
account and no cookie: its token is the proof (RFC 8058 one-click POSTs come
from mail programs), so it is exempt from CSRF; a GET only shows the button.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from safepassage.accounts import permissions
from safepassage.accounts.reauth import reauth_required
from safepassage.campaigns.models import Campaign
from safepassage.lib.markdown import render_markdown
from safepassage.reports.models import AfterActionReport
from safepassage.signatures.models import CampaignStats
from safepassage.updates import audience, services
from safepassage.updates.forms import TestForm, TextForm, UpdateForm
from safepassage.updates.models import Unsubscribe, Update, UpdateText

team_login_required = login_required(login_url="accounts:login")


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    permissions.require_organiser(request.user, campaign)
    return campaign


def _update(campaign: Campaign, pk: int) -> Update:
    return get_object_or_404(Update, campaign=campaign, pk=pk)


@never_cache
@team_login_required
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    if request.method == "POST":
        form = UpdateForm(request.POST, campaign=the_campaign)
        if form.is_valid():
            form.instance.created_by = request.user  # type: ignore[assignment]
            update = form.save()
            return redirect("updates:edit", the_campaign.slug, update.pk)
    else:
        petition = the_campaign.petitions.order_by("pk").first()
        form = UpdateForm(
            campaign=the_campaign,
            initial={"default_language": petition.default_language if petition else "en"},
        )
    updates = list(Update.objects.filter(campaign=the_campaign).prefetch_related("texts"))
    report_published = AfterActionReport.objects.filter(
        campaign=the_campaign, status=AfterActionReport.Status.PUBLISHED
    ).exists()
    return render(
        request,
        "updates/index.html",
        {
            "campaign": the_campaign,
            "organiser": True,
            "form": form,
            "updates": [(u, services.progress(u)) for u in updates],
            "report_published": report_published,
            "confirm_bounces": CampaignStats.objects.filter(campaign=the_campaign)
            .values_list("confirm_bounces", flat=True)
            .first()
            or 0,
        },
    )


@never_cache
@team_login_required
def edit(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    update = _update(the_campaign, pk)
    text_form = TextForm(prefix="text")
    settings_form = UpdateForm(instance=update, campaign=the_campaign, prefix="settings")
    if request.method == "POST" and update.status == Update.Status.DRAFT:
        if "save_text" in request.POST:
            language = request.POST.get("text-language", "")
            existing = UpdateText.objects.filter(update=update, language=language).first()
            text_form = TextForm(request.POST, prefix="text", instance=existing)
            if text_form.is_valid():
                text_form.instance.update = update
                text_form.save()
                messages.success(request, _("The text is saved."))
                return redirect("updates:edit", the_campaign.slug, update.pk)
        elif "save_settings" in request.POST:
            settings_form = UpdateForm(
                request.POST, instance=update, campaign=the_campaign, prefix="settings"
            )
            if settings_form.is_valid():
                settings_form.save()
                return redirect("updates:edit", the_campaign.slug, update.pk)
        elif "delete_text" in request.POST:
            UpdateText.objects.filter(update=update, language=request.POST["delete_text"]).delete()
            return redirect("updates:edit", the_campaign.slug, update.pk)
    elif request.GET.get("language"):
        existing = UpdateText.objects.filter(
            update=update, language=request.GET["language"]
        ).first()
        if existing:
            text_form = TextForm(prefix="text", instance=existing)
    texts = [
        (text, mark_safe(render_markdown(text.body)))  # noqa: S308  (sanitised by lib.markdown)
        for text in update.texts.all()
    ]
    return render(
        request,
        "updates/edit.html",
        {
            "campaign": the_campaign,
            "organiser": True,
            "update": update,
            "texts": texts,
            "text_form": text_form,
            "settings_form": settings_form,
            "test_form": TestForm(),
            "count": audience.count(update),
            "problems": services.problems(update),
            "progress": services.progress(update),
        },
    )


@never_cache
@team_login_required
@require_POST
def test(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    update = _update(the_campaign, pk)
    form = TestForm(request.POST)
    if form.is_valid():
        try:
            services.send_test(update, request.user, form.cleaned_data["language"])
        except services.UpdateError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("A test is on its way to your account's address."))
    return redirect("updates:edit", the_campaign.slug, update.pk)


@never_cache
@team_login_required
@reauth_required
def send(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    """GET: the exact number of recipients and a confirm button; POST: queue it."""
    the_campaign = _campaign(request, campaign)
    update = _update(the_campaign, pk)
    if request.method == "POST":
        try:
            total = services.send(update, request.user)
        except services.UpdateError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "The update is on its way to %(n)d person.",
                    "The update is on its way to %(n)d people.",
                    total,
                )
                % {"n": total},
            )
        return redirect("updates:edit", the_campaign.slug, update.pk)
    return render(
        request,
        "updates/send.html",
        {
            "campaign": the_campaign,
            "organiser": True,
            "update": update,
            "count": audience.count(update),
            "problems": services.problems(update),
            "languages": [text.language for text in update.texts.all()],
        },
    )


@never_cache
@team_login_required
@require_POST
def from_report(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    try:
        update = services.from_report(the_campaign, request.user)
    except services.UpdateError as error:
        messages.error(request, error.message)
        return redirect("updates:index", the_campaign.slug)
    return redirect("updates:edit", the_campaign.slug, update.pk)


@never_cache
@csrf_exempt
def unsubscribe(request: HttpRequest, kind: str, ref: str, token: str) -> HttpResponse:
    if kind not in Unsubscribe.Kind.values or not services.check_token(kind, ref, token):
        return render(request, "updates/unsubscribe_invalid.html", status=404)
    if request.method == "POST":
        # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click"; our button does not.
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        via = Unsubscribe.Via.ONE_CLICK if one_click else Unsubscribe.Via.PAGE
        services.unsubscribe(kind, ref, via)
        return render(request, "updates/unsubscribed.html")
    return render(request, "updates/unsubscribe.html", {"kind": kind})

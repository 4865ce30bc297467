"""The organisers' press kit: the editor and the two PDFs (press release, flyer).

Organisers only: anonymous visitors are sent to the login page, everyone
else (partner editors, coordinators, other campaigns' organisers) gets 403.
The PDFs are made on request from the saved texts and today's data.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.letters.models import Letterhead
from safepassage.reports import presskit
from safepassage.reports.models import PressKit

team_login_required = login_required(login_url="accounts:login")


# What organisers edit, on the press kit page and in the admin.
PRESS_KIT_FIELDS = (
    "press_release_title",
    "press_release_body",
    "flyer_headline",
    "flyer_body",
    "contacts",
    "letterhead",
    "published",
)


class MergeFieldsChecked(forms.ModelForm[PressKit]):
    """Refuses texts with unknown or malformed merge fields, naming them."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for name in presskit.MERGED_FIELDS:
            unknown = presskit.unknown_fields(cleaned.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("Unknown merge fields: %(fields)s") % {"fields": ", ".join(unknown)},
                )
        return cleaned


class PressKitForm(MergeFieldsChecked):
    class Meta:
        model = PressKit
        fields = PRESS_KIT_FIELDS
        widgets = {
            "press_release_body": forms.Textarea(attrs={"rows": 14}),
            "flyer_body": forms.Textarea(attrs={"rows": 8}),
            "contacts": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "press_release_body": gettext_lazy(
                "Markdown: *emphasis*, **strong**, lists, links. HTML is removed."
            ),
            "flyer_body": gettext_lazy(
                "Markdown. Keep it short: the flyer is one page, with the events, "
                "the QR code and the contacts under this text."
            ),
        }

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        letterhead = self.fields["letterhead"]
        assert isinstance(letterhead, forms.ModelChoiceField)
        letterhead.queryset = Letterhead.objects.filter(
            organisation__campaigns=campaign
        ).select_related("organisation")
        letterhead.empty_label = _("None: headed by the campaign's title")


def _organisers_campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organisers_campaign(request, campaign)
    kit = presskit.press_kit_for(the_campaign)
    form = PressKitForm(request.POST or None, instance=kit, campaign=the_campaign)
    if request.method == "POST" and form.is_valid():
        kit = form.save(commit=False)
        kit.updated_by = request.user  # type: ignore[assignment]
        kit.save()
        messages.success(request, _("The press kit is saved."))
        return redirect("reports:press_kit", campaign=the_campaign.slug)
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "kit": kit,
        "form": form,
        "merge_fields": presskit.MERGE_FIELDS,
        "release_url": reverse("reports:press_kit_release", args=[the_campaign.slug]),
        "flyer_url": reverse("reports:press_kit_flyer", args=[the_campaign.slug]),
        "sign_url": presskit.sign_url(the_campaign),
    }
    return render(
        request, "reports/presskit/edit.html", context, status=400 if form.errors else 200
    )


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@team_login_required
@require_GET
def press_release_pdf(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organisers_campaign(request, campaign)
    kit = presskit.press_kit_for(the_campaign)
    return _pdf(
        presskit.render_press_release(kit), presskit.filename(the_campaign, "press-release")
    )


@team_login_required
@require_GET
def flyer_pdf(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organisers_campaign(request, campaign)
    kit = presskit.press_kit_for(the_campaign)
    return _pdf(presskit.render_flyer(kit), presskit.filename(the_campaign, "flyer"))


# --- Published on the campaign page -----------------------------------------------------

PUBLIC_MAX_AGE = 300


def _published_kit(campaign: str) -> PressKit:
    kit = (
        PressKit.objects.select_related("campaign", "letterhead__organisation")
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .filter(campaign__slug=campaign, published=True)
        .first()
    )
    if kit is None:
        raise Http404
    return kit


def _public_pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@require_GET
def public_press_release(request: HttpRequest, campaign: str) -> HttpResponse:
    kit = _published_kit(campaign)
    return _public_pdf(
        presskit.render_press_release(kit), presskit.filename(kit.campaign, "press-release")
    )


@require_GET
def public_flyer(request: HttpRequest, campaign: str) -> HttpResponse:
    kit = _published_kit(campaign)
    return _public_pdf(presskit.render_flyer(kit), presskit.filename(kit.campaign, "flyer"))

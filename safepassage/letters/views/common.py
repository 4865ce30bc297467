"""What the team's letter pages share: who may open them, their context, PDF answers.

Every page needs a login (anonymous visitors go to the team login page).
A campaign's letter pages are for its organisers and partner editors; any
other account gets 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.letters import services

LOGIN = "accounts:login"
team_login_required = login_required(login_url=LOGIN)


def letters_campaign(request: HttpRequest, slug: str) -> Campaign:
    """The campaign, if the user may use its letter pages; else 403."""
    campaign = get_object_or_404(Campaign, slug=slug)
    if not services.may_use_letters(request.user, campaign):
        raise PermissionDenied
    return campaign


def organiser_campaign(request: HttpRequest, slug: str) -> Campaign:
    """The campaign, if the user organises it; else 403."""
    campaign = letters_campaign(request, slug)
    if not is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


def page_context(request: HttpRequest, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    return {"campaign": campaign, "organiser": is_organiser(request.user, campaign), **extra}


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slugify(filename) or "letter"}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import Campaign, Petition
from safepassage.core.demo_mail import read_mailbox
from safepassage.lib import geo


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    petitions = (
        Petition.objects.public()
        .filter(campaign__status=Campaign.Status.OPEN)
        .select_related("campaign")
        .prefetch_related("texts", "campaign__texts")
    )
    language = get_language()
    shown = [petition.in_language(language) for petition in petitions]
    return render(request, "core/home.html", {"petitions": shown})


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "core/about.html")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe, and the framework's floor in bench/signing."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@cache_control(public=True, max_age=86400)
def subdivisions(request: HttpRequest, country: str) -> JsonResponse:
    if country.upper() not in geo.country_codes():
        raise Http404
    language = get_language() or "en"
    pairs = geo.subdivisions(country.upper(), language)
    return JsonResponse({"country": country.upper(), "subdivisions": [list(p) for p in pairs]})


@require_GET
@staff_member_required
def demo_mail(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    mails = read_mailbox(settings.EMAIL_FILE_PATH)
    return render(request, "core/demo_mail.html", {"mails": mails})

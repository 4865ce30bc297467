"""The team page of the embeddable form: each partner's allowed origins and its snippet.

Organisers see every partner of the campaign and add or remove origins in the
admin (EmbedOrigin, scoped to their campaigns); a partner editor sees only
their own organisations. Only counts of signatures per partner are shown,
never who signed. Anyone else with a role in the campaign: 403; no role: 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safepassage.accounts import permissions
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.signatures.embeds import EmbedOrigin
from safepassage.signatures.models import CampaignStats

team_login_required = login_required(login_url="accounts:login")


def snippet_url(petition: Petition, organisation: Organisation, language: str) -> str:
    path = reverse("signatures:embed", args=[petition.slug])
    return f"{settings.SITE_URL}{path}?partner={organisation.slug}&lang={language}"


def snippet(url: str) -> str:
    """The HTML the partner pastes: a lazy, full-width iframe with an accessible title.

    Plain text here; the page shows it escaped. Its inline style is for the
    partner's page, whose own policy decides about it.
    """
    title = escape(gettext("Sign the petition"))
    return (
        f'<iframe src="{escape(url)}" title="{title}" width="100%" height="1100" '
        'loading="lazy" style="border:0;max-width:720px"></iframe>'
    )


@never_cache
@team_login_required
@require_GET
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = get_object_or_404(Campaign, slug=campaign)
    if not permissions.role_kinds(request.user, the_campaign):
        raise Http404
    organiser = permissions.is_organiser(request.user, the_campaign)
    editable = permissions.editable_organisations(request.user, the_campaign)
    if not (organiser or editable):
        raise PermissionDenied
    organisations = the_campaign.organisations.order_by("name")
    if not organiser:
        organisations = organisations.filter(pk__in=editable)
    origins: dict[int, list[str]] = {}
    for organisation_id, origin in EmbedOrigin.objects.filter(
        campaign=the_campaign, organisation__in=organisations
    ).values_list("organisation_id", "origin"):
        origins.setdefault(organisation_id, []).append(origin)
    stats = CampaignStats.objects.filter(campaign=the_campaign).first()
    counts = stats.by_embed_partner if stats else {}
    language = get_language() or settings.LANGUAGE_CODE
    petitions = list(Petition.objects.filter(campaign=the_campaign).order_by("pk"))
    partners: list[dict[str, Any]] = [
        {
            "organisation": organisation,
            "origins": origins.get(organisation.pk, []),
            "signatures": int(counts.get(str(organisation.pk), 0)),
            "snippets": [
                {
                    "petition": petition,
                    "html": snippet(snippet_url(petition, organisation, language)),
                }
                for petition in petitions
            ],
        }
        for organisation in organisations
    ]
    context = {
        "campaign": the_campaign,
        "partners": partners,
        "organiser": organiser,
        "admin_url": reverse("admin:signatures_embedorigin_changelist")
        + f"?campaign__id__exact={the_campaign.pk}",
        "language": language,
    }
    return render(request, "signatures/embed_team.html", context)

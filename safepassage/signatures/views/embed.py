"""The embeddable signing form: ``/embed/p/<slug>/`` inside a partner's iframe.

The same form, validation, bot checks, throttles and writer as the signing
page (``signing.sign_page``); only the frame differs:

* the response names the campaign's allowed partner origins
  (signatures/embeds.py) in ``Content-Security-Policy: frame-ancestors``
  and leaves out ``X-Frame-Options``; a campaign without any keeps the
  site's ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``. With
  ``?partner=<organisation slug>`` only that partner's origins may frame it,
  and its signatures carry the partner (``Signature.embed_partner``);
* browsers keep third-party cookies from a framed page (Safari always,
  Chrome and Firefox more and more), so the form does not rely on Django's
  CSRF cookie: it carries a signed, timestamped token naming the petition
  and the partner, and a submission must come from our own origin (the
  ``Origin`` header a browser sends with every form POST): the mechanism of
  lib/formtokens.py, which the signing page and the RSVP form use too.
  docs/security.md, "The embedded signing form", explains why that is enough.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.campaigns.models import Organisation, Petition, public_petition
from safepassage.lib import formtokens
from safepassage.signatures.embeds import allowed_origins, partner_of
from safepassage.signatures.views import signing

TOKEN_SALT = "safepassage.signatures.embed-form"  # noqa: S105 (a salt, not a secret)
# How long a shown form can still be sent: long enough to read the petition first.
TOKEN_SECONDS = formtokens.SECONDS
TOKEN_FIELD = "embed_token"  # noqa: S105 (a field name)


def form_token(petition: Petition, partner_id: int | None) -> str:
    """A token for one shown form: which petition, which partner, when (lib/formtokens.py)."""
    return formtokens.issue(TOKEN_SALT, f"{petition.pk}:{partner_id or ''}")


def token_partner(petition: Petition, token: str) -> tuple[bool, int | None]:
    """(valid, partner pk) of a posted token; invalid when forged, stale or for another petition."""
    value = formtokens.value_of(TOKEN_SALT, token, TOKEN_SECONDS)
    if value is None:
        return False, None
    petition_pk, _sep, partner = value.partition(":")
    if petition_pk != str(petition.pk):
        return False, None
    return True, int(partner) if partner.isdigit() else None


# The signing page and the RSVP form use the same checks (lib/formtokens.py).
own_origins = formtokens.own_origins
same_origin_post = formtokens.same_origin_post


def framable(response: HttpResponseBase, origins: list[str]) -> HttpResponseBase:
    """Let these origins (and only these) frame the response; none: the site's default refusal."""
    if origins:
        # Honoured by django-csp (safepassage.core.middleware hands such responses to it).
        response._csp_replace = {"frame-ancestors": origins}  # type: ignore[attr-defined]
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def _query(partner_slug: str) -> str:
    params = {"partner": partner_slug} if partner_slug else {}
    params["lang"] = get_language() or settings.LANGUAGE_CODE
    return "?" + urlencode(params)


def _petition(slug: str) -> Petition:
    petition = public_petition(slug)
    if petition is None:
        raise Http404
    return petition


def _partner_slug(partner_id: int | None) -> str:
    if partner_id is None:
        return ""
    return Organisation.objects.filter(pk=partner_id).values_list("slug", flat=True).first() or ""


@csrf_exempt  # a signed form token and the Origin check instead (module docstring)
@sensitive_post_parameters("email")
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponseBase:
    petition = _petition(slug)
    campaign_id = petition.campaign_id
    if request.method == "POST":
        valid, partner_id = token_partner(petition, request.POST.get(TOKEN_FIELD, ""))
        if not (valid and same_origin_post(request)):
            again = reverse("signatures:embed", args=[slug]) + _query(_partner_slug(partner_id))
            response = render(
                request,
                "signatures/embed/expired.html",
                {"petition": petition, "again": again},
                status=403,
            )
            return framable(response, allowed_origins(campaign_id, partner_id))
    else:
        partner_id = partner_of(campaign_id, request.GET.get("partner", ""))
    partner_slug = _partner_slug(partner_id)
    if not partner_slug:
        partner_id = None  # a token naming an organisation deleted since: no partner
    thanks = reverse("signatures:embed_thanks", args=[petition.slug]) + _query(partner_slug)
    response = signing.sign_page(
        request,
        petition,
        template="signatures/embed/sign.html",
        thanks_url=thanks,
        embed_partner_id=partner_id,
        extra_context={"embed_token": form_token(petition, partner_id), "embedded": True},
    )
    return framable(response, allowed_origins(campaign_id, partner_id))


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition(slug)
    partner_id = partner_of(petition.campaign_id, request.GET.get("partner", ""))
    response = render(
        request,
        "signatures/embed/thanks.html",
        {
            **signing.shown(petition, get_language()),
            "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
            "again": reverse("signatures:embed", args=[slug]) + _query(_partner_slug(partner_id)),
        },
    )
    framable(response, allowed_origins(petition.campaign_id, partner_id))
    return response

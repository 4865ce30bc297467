"""The signer's pages: the form, its counter and challenge, the confirmation and withdrawal links.

The confirmed page links to the personal letter tool with the letters app's
template tag (templates/signatures/confirm.html): letters sits above this app.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.campaigns.models import Petition, public_petition
from safepassage.lib import formtokens, languages
from safepassage.lib.clients import client_ip, ip_hash
from safepassage.signatures import botcheck, counter, services, writer
from safepassage.signatures.consent import privacy_promise
from safepassage.signatures.forms import ResendForm, SignForm
from safepassage.signatures.models import Signature
from safepassage.signatures.throttle import review_reason
from safepassage.signatures.tokens import check_link_token

logger = logging.getLogger(__name__)


def _petition(slug: str) -> Petition:
    petition = public_petition(slug)
    if petition is None:
        raise Http404
    return petition


def _text_language(request: HttpRequest, petition: Petition) -> str | None:
    """The text's language: the one asked for if written, else the page's (lib/languages.py)."""
    return languages.content_language(request, (text.language for text in petition.texts.all()))


def shown(petition: Petition, language: str | None) -> dict[str, Any]:
    """The petition and its text as a reader of ``language`` sees them (campaign title and
    addressee included: Campaign.in_language)."""
    return {"petition": petition.in_language(language), "text": petition.text(language)}


@lru_cache(maxsize=256)
def _thanks_url(slug: str, script_prefix: str) -> str:
    return reverse("signatures:thanks", kwargs={"slug": slug})


# The signing page's form token (lib/formtokens.py): it names the petition.
FORM_TOKEN_SALT = "safepassage.signatures.sign-form"  # noqa: S105 (a salt, not a secret)


@csrf_exempt  # a signed form token and the origin check instead: the page sets no cookie
@sensitive_post_parameters("email")
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition(slug)
    if request.method == "POST" and not formtokens.accepted(
        request, FORM_TOKEN_SALT, str(petition.pk)
    ):
        context = {**shown(petition, _text_language(request, petition)), "again": request.path}
        return render(request, "signatures/form_expired.html", context, status=403)
    return sign_page(
        request,
        petition,
        template="signatures/sign.html",
        thanks_url=_thanks_url(petition.slug, get_script_prefix()),
        extra_context={"form_token": formtokens.issue(FORM_TOKEN_SALT, str(petition.pk))},
    )


def sign_page(
    request: HttpRequest,
    petition: Petition,
    *,
    template: str,
    thanks_url: str,
    embed_partner_id: int | None = None,
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The signing form and its submission: the one path from a form to the writer.

    The signing page and the embedded form (views/embed.py) both come here; the
    embed gives its own template and thanks page, and the partner it was shown for.
    """
    language = get_language() or petition.default_language
    is_open = petition.is_open()
    form = SignForm(request.POST if request.method == "POST" else None, language=language)
    status = 200
    if request.method == "POST":
        if not is_open:
            status = 409
        elif form.is_valid():
            assert form.canonical is not None
            verdict = botcheck.assess(petition, request.POST)
            try:
                pending = services.build_pending(
                    petition,
                    form.cleaned_data,
                    form.canonical,
                    client_ip(request),
                    language,
                    extra_reason=verdict.reason,
                )
                pending.used_challenge = verdict.used_challenge
                if embed_partner_id is not None:
                    pending.fields["embed_partner_id"] = embed_partner_id
                writer.submit(pending)
            except Exception:
                logger.exception("could not store a signature for petition %s", petition.pk)
                context = {"petition": petition, **(extra_context or {})}
                return render(request, "signatures/busy.html", context, status=503)
            # The same answer whether or not this person had signed before.
            return HttpResponseRedirect(thanks_url)
    figures = counter.figures(petition)
    context = {
        **shown(petition, _text_language(request, petition)),
        "form": form,
        "is_open": is_open,
        "count": figures["confirmed"],
        "paper": figures["paper"],
        "promise": privacy_promise,  # called by the template, only when the form is rendered
        "honeypot_field": botcheck.HONEYPOT_FIELD,
        "solution_field": botcheck.SOLUTION_FIELD,
        "challenge_offered": botcheck.offered(petition),
        **(extra_context or {}),
    }
    return render(request, template, context, status=status)


@never_cache
@require_GET
def challenge(request: HttpRequest, slug: str) -> JsonResponse:
    """A fresh proof-of-work challenge for the signing page's script (no cookie, never cached).

    Served apart from the page so that the page stays the same for everyone;
    the script asks for it only when the page offers one.
    """
    petition = _petition(slug)
    if not botcheck.offered(petition):
        return JsonResponse({"detail": "No challenge for this petition."}, status=404)
    return JsonResponse(botcheck.new_challenge())


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition(slug)
    return render(
        request,
        "signatures/thanks.html",
        {
            **shown(petition, _text_language(request, petition)),
            "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
        },
    )


@sensitive_post_parameters("email")
@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _petition(slug)
    form = ResendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not review_reason(petition.pk, ip_hash(client_ip(request)), scope="resend"):
            language = get_language() or petition.default_language
            services.request_mail(petition, form.cleaned_data["email"], language)
        return redirect("signatures:thanks", slug=petition.slug)
    return render(
        request,
        "signatures/resend.html",
        {**shown(petition, _text_language(request, petition)), "form": form},
    )


@require_GET
def count(request: HttpRequest, slug: str) -> JsonResponse:
    """Usually answered by signatures.middleware.CounterMiddleware before it gets here."""
    return counter_response(slug)


def counter_response(slug: str) -> JsonResponse:
    """The live counter as JSON; the same for every visitor, so browsers may keep it briefly."""
    figures = counter.public_counter(slug)
    if figures is None:
        return JsonResponse({"detail": "No such petition."}, status=404)
    response = JsonResponse(figures)
    patch_cache_control(
        response,
        public=True,
        max_age=settings.COUNT_CACHE_SECONDS,
        stale_while_revalidate=settings.PUBLIC_CACHE_STALE_SECONDS,
    )
    response["Content-Length"] = str(len(response.content))
    return response


def _from_link(purpose: str, signature_uuid: uuid.UUID, token: str) -> Signature | None:
    if not check_link_token(purpose, signature_uuid, token):
        return None
    return (
        Signature.objects.select_related("petition__campaign").filter(uuid=signature_uuid).first()
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, signature_uuid: uuid.UUID, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that open links must not confirm anyone."""
    signature = _from_link("confirm", signature_uuid, token)
    if signature is None or signature.is_expired():
        return render(request, "signatures/link_invalid.html", status=404)
    if request.method == "POST":
        services.confirm(signature)
        return redirect(request.path)
    petition = signature.petition
    return render(
        request,
        "signatures/confirm.html",
        {
            "signature": signature,
            **shown(petition, signature.language),
            "confirmed": signature.status == Signature.Status.CONFIRMED,
            "count": counter.confirmed_count(petition),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, signature_uuid: uuid.UUID, token: str) -> HttpResponse:
    if not check_link_token("withdraw", signature_uuid, token):
        return render(request, "signatures/link_invalid.html", status=404)
    signature = _from_link("withdraw", signature_uuid, token)
    if request.method == "POST":
        if signature is not None:
            services.erase(signature, reason="withdrawn")
        return render(request, "signatures/withdrawn.html")
    if signature is None:
        return render(request, "signatures/withdrawn.html")
    petition = signature.petition
    return render(
        request,
        "signatures/withdraw.html",
        {"signature": signature, **shown(petition, signature.language)},
    )

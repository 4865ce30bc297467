"""The team's letterhead pages: an organisation's letterheads, designed or uploaded.

A letterhead belongs to an organisation; one the user may not see does not
exist for them (404). Who may open the pages at all is in views/common.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.campaigns.models import Campaign, Organisation
from safepassage.letters import services
from safepassage.letters.forms import DesignedLetterheadForm, UploadedLetterheadForm
from safepassage.letters.models import Letterhead
from safepassage.letters.rendering import render_letterhead_preview
from safepassage.letters.views.common import (
    letters_campaign,
    page_context,
    pdf_response,
    team_login_required,
)


def _organisation(request: HttpRequest, campaign: Campaign, pk: int) -> Organisation:
    organisation = services.organisations_for(request.user, campaign).filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


@never_cache
@team_login_required
@require_GET
def letterheads(request: HttpRequest, campaign: str, organisation: int) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    context = page_context(
        request,
        the_campaign,
        organisation=the_organisation,
        letterheads=list(services.letterheads_of(the_organisation.pk)),
    )
    return render(request, "letters/letterheads.html", context)


_LETTERHEAD_FORMS: dict[str, type[DesignedLetterheadForm] | type[UploadedLetterheadForm]] = {
    Letterhead.Kind.DESIGNED: DesignedLetterheadForm,
    Letterhead.Kind.UPLOADED: UploadedLetterheadForm,
}


def _letterhead_page(
    request: HttpRequest, campaign: Campaign, organisation: Organisation, letterhead: Letterhead
) -> HttpResponse:
    form_class = _LETTERHEAD_FORMS[letterhead.kind]
    form = form_class(request.POST or None, request.FILES or None, instance=letterhead)
    if request.method == "POST" and form.is_valid():
        try:
            saved = form.save()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The letterhead “%(name)s” is saved.") % {"name": saved.name}
            )
            return redirect(
                "letters:letterheads", campaign=campaign.slug, organisation=organisation.pk
            )
    context = page_context(
        request, campaign, organisation=organisation, letterhead=letterhead, form=form
    )
    status = 400 if form.errors else 200
    return render(request, "letters/letterhead_form.html", context, status=status)


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def letterhead_new(
    request: HttpRequest, campaign: str, organisation: int, kind: str
) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    if kind not in Letterhead.Kind.values:
        raise Http404
    letterhead = Letterhead(organisation=the_organisation, kind=kind)
    return _letterhead_page(request, the_campaign, the_organisation, letterhead)


def _letterhead(organisation: Organisation, pk: int) -> Letterhead:
    return get_object_or_404(Letterhead, organisation=organisation, pk=pk)


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def letterhead_edit(
    request: HttpRequest, campaign: str, organisation: int, pk: int
) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    letterhead = _letterhead(the_organisation, pk)
    return _letterhead_page(request, the_campaign, the_organisation, letterhead)


@never_cache
@team_login_required
@require_GET
def letterhead_preview(
    request: HttpRequest, campaign: str, organisation: int, pk: int
) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    letterhead = _letterhead(the_organisation, pk)
    language = request.GET.get("language", "")
    if language not in {code for code, _name in _languages()}:
        language = get_language() or "en"
    pdf = render_letterhead_preview(letterhead, language=language)
    return pdf_response(pdf, f"letterhead-{the_organisation.slug}-{letterhead.pk}")


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]

"""The team's pages for supporting documents: upload, show on the campaign page, delete.

For the campaign's organisers only. Who may open the pages at all is in
views/common.py; what may be done with a document is decided in services.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from safepassage.campaigns.models import Campaign
from safepassage.letters import services
from safepassage.letters.documents import store_supporting_document
from safepassage.letters.forms import DocumentForm
from safepassage.letters.models import SupportingDocument
from safepassage.letters.views.common import organiser_campaign, page_context, team_login_required


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = organiser_campaign(request, campaign)
    form = DocumentForm(request.POST or None, request.FILES or None, campaign=the_campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = store_supporting_document(
                the_campaign,
                title=data["title"].strip(),
                language=data["language"],
                file=data["file"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if document.public != data["public"]:
                SupportingDocument.objects.filter(pk=document.pk).update(public=data["public"])
            messages.success(request, _("“%(title)s” is uploaded.") % {"title": document.title})
            return redirect("letters:documents", campaign=the_campaign.slug)
    rows = [
        (document, services.document_in_packets(document), _size(document))
        for document in the_campaign.supporting_documents.select_related("uploaded_by")
    ]
    context = page_context(request, the_campaign, form=form, rows=rows)
    return render(request, "letters/documents.html", context, status=400 if form.errors else 200)


def _size(document: SupportingDocument) -> int | None:
    try:
        return int(document.file.size)
    except (OSError, ValueError):
        return None


def _document(campaign: Campaign, pk: int) -> SupportingDocument:
    return get_object_or_404(SupportingDocument, campaign=campaign, pk=pk)


@never_cache
@team_login_required
@require_POST
def document_public(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = organiser_campaign(request, campaign)
    document = _document(the_campaign, pk)
    public = request.POST.get("public") == "1"
    SupportingDocument.objects.filter(pk=document.pk).update(public=public)
    if public:
        text = _("“%(title)s” is shown on the campaign page.")
    else:
        text = _("“%(title)s” is no longer shown on the campaign page.")
    messages.success(request, text % {"title": document.title})
    return redirect("letters:documents", campaign=the_campaign.slug)


@never_cache
@team_login_required
@require_POST
def document_delete(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = organiser_campaign(request, campaign)
    document = _document(the_campaign, pk)
    try:
        services.delete_document(document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” is deleted.") % {"title": document.title})
    return redirect("letters:documents", campaign=the_campaign.slug)

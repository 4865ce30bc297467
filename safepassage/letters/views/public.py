"""The supporting documents a campaign shows on its public page."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import Campaign
from safepassage.letters.models import SupportingDocument


@require_GET
def document(request: HttpRequest, campaign: str, pk: int) -> FileResponse:
    """A document organisers marked public, of a campaign that is not a draft.

    The files live in the private storage like every other upload of the
    letters app; only this view hands out the public ones.
    """
    found = (
        SupportingDocument.objects.select_related("campaign")
        .filter(pk=pk, campaign__slug=campaign, public=True)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .first()
    )
    if found is None:
        raise Http404
    name = f"{slugify(found.title) or 'document'}-{found.language}.pdf"
    response = FileResponse(
        found.file.open("rb"), content_type="application/pdf", as_attachment=False, filename=name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

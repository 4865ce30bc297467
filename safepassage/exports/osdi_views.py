"""The organisers' OSDI import: upload an OSDI JSON export, check it, import it (exports/osdi.py).

The same two steps as a CSV list (views.py): the upload is kept encrypted
(``ImportUpload``) until it is imported, or swept a day later; the check
writes nothing; the import writes the export log. Organisers of the
campaign only (404 for everyone else). No page shows an address.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from safepassage.exports import osdi
from safepassage.exports.forms import OsdiImportForm, OsdiUploadForm
from safepassage.exports.views import _keep_upload, _organised, _own_upload
from safepassage.lib import crypto

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised(request, slug)
    form = OsdiUploadForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        try:
            data = sent.read(osdi.MAX_BYTES + 1)
            rows = osdi.parse(data)
        except osdi.UnreadableOsdi as error:
            form.add_error("file", error.message)
        else:
            if not rows:
                form.add_error("file", osdi.EMPTY)
            else:
                stored = _keep_upload(
                    request,
                    campaign,
                    form.cleaned_data["petition"],
                    sent.name or "osdi.json",
                    data.decode("utf-8-sig"),
                )
                return redirect("exports:import_osdi_check", slug=campaign.slug, upload=stored.uuid)
    return render(request, "exports/import_osdi.html", {"campaign": campaign, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, slug: str, upload: str) -> HttpResponse:
    campaign = _organised(request, slug)
    stored = _own_upload(request, campaign, upload)
    unreadable = ""
    try:
        rows = osdi.parse(crypto.decrypt(stored.content_encrypted))
    except osdi.UnreadableOsdi as error:
        # An upload of the CSV import (views.py) opened here: say so, import nothing.
        rows, unreadable = [], error.message
    importing = request.POST.get("action") == "import"
    form = OsdiImportForm(request.POST or None, importing=importing)
    report = None
    if request.method == "POST" and not unreadable and form.is_valid():
        report = osdi.import_osdi(
            stored.petition,
            rows,
            form.cleaned_data["source"],
            request.user,
            language=get_language() or "en",
            hand_over_names=bool(form.cleaned_data.get("hand_over_names")),
            commit=importing,
        )
        if importing:
            logger.info(
                "OSDI import into petition %s by user %s: %d signatures",
                stored.petition_id,
                request.user.pk,
                report.created,
            )
            stored.delete()
            context = {"campaign": campaign, "petition": stored.petition, "report": report}
            return render(request, "exports/import_done.html", context)
    context = {
        "campaign": campaign,
        "upload": stored,
        "records": len(rows),
        "form": form,
        "report": report,
        "unreadable": unreadable,
    }
    return render(request, "exports/import_osdi_check.html", context)

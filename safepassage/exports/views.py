"""Export and import pages. Anonymous visitors go to the login page; a campaign
the user has no exports in, and an export or upload they may not take, do not
exist for them (404). Who may take which export: see streams.py."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.accounts.permissions import coordinator_scope, is_organiser
from safepassage.accounts.reauth import reauth_redirect, recently_reauthenticated
from safepassage.campaigns.models import Campaign
from safepassage.exports import duplicates, importer, streams, uploads
from safepassage.exports.forms import DecisionForm, MappingForm, UploadForm
from safepassage.exports.models import ExportLog, ImportUpload
from safepassage.lib import crypto
from safepassage.signatures import counter
from safepassage.signatures.models import PaperTally, Signature

logger = logging.getLogger(__name__)

# Exports that list signers (names, places, consenting addresses): fresh authentication first.
SIGNER_EXPORTS = frozenset({ExportLog.Kind.SIGNATURES, ExportLog.Kind.CONTACTS})

CONTENT_TYPES: dict[str, str] = {
    ExportLog.Format.CSV: "text/csv; charset=utf-8",
    ExportLog.Format.JSON: "application/json; charset=utf-8",
}


def _campaign(request: HttpRequest, slug: str) -> tuple[Campaign, bool]:
    """The campaign and whether the user organises it; 404 if they may take no export."""
    campaign = get_object_or_404(Campaign, slug=slug)
    organiser = is_organiser(request.user, campaign)
    if not organiser and coordinator_scope(request.user, campaign).empty:
        raise Http404
    return campaign, organiser


def _organised(request: HttpRequest, slug: str) -> Campaign:
    campaign, organiser = _campaign(request, slug)
    if not organiser:
        raise Http404
    return campaign


def _keep_upload(
    request: HttpRequest, campaign: Campaign, petition: Any, filename: str, text: str
) -> ImportUpload:
    """An uploaded list, encrypted until it is imported or swept (CSV and OSDI alike)."""
    uploads.purge_stale_uploads()
    assert request.user.pk is not None  # login_required
    return ImportUpload.objects.create(
        campaign=campaign,
        petition=petition,
        created_by_id=request.user.pk,
        filename=filename[:200],
        content_encrypted=crypto.encrypt(text),
    )


def _own_upload(request: HttpRequest, campaign: Campaign, upload: str) -> ImportUpload:
    """The upload this organiser made for this campaign; 404 for anyone else's."""
    stored = (
        ImportUpload.objects.select_related("petition")
        .filter(uuid=upload, campaign=campaign, created_by_id=request.user.pk)
        .first()
    )
    if stored is None:
        raise Http404
    return stored


@login_required
@require_GET
def index(request: HttpRequest, slug: str) -> HttpResponse:
    campaign, organiser = _campaign(request, slug)
    context: dict[str, Any] = {
        "campaign": campaign,
        "organiser": organiser,
        "exports": streams.available(organiser),
    }
    if organiser:
        context["signature_count"] = (
            Signature.objects.counted().filter(petition__campaign=campaign).count()
        )
        on_paper, by_collector = counter.paper_totals(campaign.pk)
        context["on_paper"] = on_paper
        context["paper_count"] = (
            PaperTally.objects.filter(petition__campaign=campaign).aggregate(n=Sum("count"))["n"]
            or 0
        )
        context["by_collector"] = sorted(by_collector.items(), key=lambda i: (-i[1], i[0]))
        context["paper_total"] = on_paper + context["paper_count"]
        context["open_duplicates"] = duplicates.open_pairs(campaign).count()
    return render(request, "exports/index.html", context)


@login_required
@require_GET
def download(request: HttpRequest, slug: str, kind: str, fmt: str) -> StreamingHttpResponse:
    campaign, organiser = _campaign(request, slug)
    export = streams.EXPORTS.get(kind)
    if export is None or fmt not in CONTENT_TYPES or (export.organiser_only and not organiser):
        raise Http404
    if kind in SIGNER_EXPORTS and not recently_reauthenticated(request):
        # Names and addresses of signers: password and second factor again first.
        return reauth_redirect(request)  # type: ignore[return-value]
    chunks = streams.start(export, request.user, campaign, fmt)
    logger.info("export %s (%s) of campaign %s by user %s", kind, fmt, campaign.pk, request.user.pk)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-{kind}.{fmt}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised(request, slug)
    form = UploadForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # One byte more than allowed is enough for decode() to refuse the file.
            text = uploads.decode(upload.read(uploads.MAX_BYTES + 1))
            uploads.read_table(text)
        except uploads.UnreadableFile as error:
            form.add_error("file", error.message)
        else:
            stored = _keep_upload(
                request, campaign, form.cleaned_data["petition"], upload.name or "upload.csv", text
            )
            return redirect("exports:import_map", slug=campaign.slug, upload=stored.uuid)
    return render(request, "exports/import_upload.html", {"campaign": campaign, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, slug: str, upload: str) -> HttpResponse:
    campaign = _organised(request, slug)
    stored = _own_upload(request, campaign, upload)
    header, rows = uploads.read_table(crypto.decrypt(stored.content_encrypted))
    importing = request.POST.get("action") == "import"
    form = MappingForm(request.POST or None, header=header, importing=importing)
    report = None
    language = get_language() or "en"
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        choices = form.choices()
        if importing:
            source = choices.source
            report = importer.run_import(
                stored.petition, rows, mapping, choices, request.user, language
            )
            ExportLog.objects.create(
                campaign=campaign,
                user_id=request.user.pk,
                kind=ExportLog.Kind.IMPORT,
                format=ExportLog.Format.CSV,
                rows=report.created,
                note=source[:300],
            )
            logger.info(
                "import into petition %s by user %s: %d signatures, %d paper",
                stored.petition_id,
                request.user.pk,
                report.created,
                report.paper,
            )
            stored.delete()
            return render(
                request,
                "exports/import_done.html",
                {"campaign": campaign, "petition": stored.petition, "report": report},
            )
        report = importer.check(stored.petition, rows, mapping, language, choices)[1]
    return render(
        request,
        "exports/import_map.html",
        {
            "campaign": campaign,
            "upload": stored,
            "form": form,
            # A file without a header line would otherwise show its first row here.
            "header": [uploads.masked(title) for title in header],
            "preview": list(uploads.iter_preview(rows)),
            "row_count": len(rows),
            "report": report,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_duplicates(request: HttpRequest, slug: str) -> HttpResponse:
    """Paper signatures with the same name and place: keep both or drop one."""
    campaign = _organised(request, slug)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            action = form.cleaned_data["action"]
            if action != "keep" and not recently_reauthenticated(request):
                # Dropping erases a signature: password and second factor again first.
                return reauth_redirect(request)
            try:
                dropped = duplicates.decide(
                    campaign, form.cleaned_data["pair"], action, request.user
                )
            except duplicates.NotOpen:
                messages.error(request, _("That pair was decided already."))
            else:
                messages.success(
                    request,
                    _("Both signatures are kept.")
                    if dropped is None
                    else _("The signature was dropped (erased)."),
                )
        return redirect("exports:duplicates", slug=campaign.slug)
    pairs = duplicates.pair_lines(list(duplicates.open_pairs(campaign)[:200]))
    return render(
        request,
        "exports/duplicates.html",
        {
            "campaign": campaign,
            "pairs": pairs,
            "total": duplicates.open_pairs(campaign).count(),
        },
    )

"""Pages of the after-action report: the public report and its PDF, and the organisers' editor.

The public sees only a published snapshot (report.py); while the report is a
draft its address answers 404, except to the campaign's organisers, who see
a preview built from the current data. Photos are served only if they are
in the published report and still marked publishable (or to organisers
previewing a draft); they were re-encoded without their metadata when they
were uploaded (lib/uploads.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Evidence
from safepassage.lib.uploads import CONTENT_TYPES
from safepassage.reports import report as reports
from safepassage.reports import report_pdf
from safepassage.reports.models import AfterActionReport

PAGE_SECONDS = 300
team_login_required = login_required(login_url="accounts:login")


def _language() -> str:
    return get_language() or "en"


def _photo_url(slug: str) -> Any:
    return lambda pk: reverse("reports:report_photo", args=[slug, pk])


def _links(slug: str) -> dict[str, str]:
    return {
        "pdf_url": reverse("reports:report_pdf", args=[slug]),
        "campaign_url": reverse("reports:campaign", args=[slug]),
    }


def _published_body(report: AfterActionReport, language: str) -> tuple[str, str]:
    """(title, rendered report) of a published snapshot, cached: it changes only on publishing."""
    photo_ids = reports.still_published_photos(report.campaign, report.snapshot)
    key = f"reports:report:{report.snapshot_sha256}:{language}:" + ",".join(
        str(pk) for pk in photo_ids
    )
    cached: tuple[str, str] | None = cache.get(key)
    if cached is None:
        context = reports.present(
            report.snapshot,
            language,
            photo_ids=photo_ids,
            photo_src=_photo_url(report.campaign.slug),
        )
        cached = (context["title"], render_to_string("reports/report_body.html", context))
        cache.set(key, cached, PAGE_SECONDS)
    return cached


def _wants_draft(request: HttpRequest) -> bool:
    return request.GET.get("preview") == "draft"


@require_GET
def public(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    organiser = is_organiser(request.user, campaign)
    report = reports.published_report(slug)
    if report is not None and not (organiser and _wants_draft(request)):
        title, body = _published_body(report, _language())
        context: dict[str, Any] = {
            "title": title,
            "body": mark_safe(body),  # noqa: S308 (rendered from our template, escaped there)
            "published_at": report.published_at,
            **_links(slug),
        }
        return render(request, "reports/report.html", context)
    if not organiser:
        raise Http404
    draft = reports.report_for(campaign)
    context = reports.present(
        reports.draft_content(draft),
        _language(),
        photo_ids=[p.pk for p in reports.publishable_photos(campaign)],
        photo_src=_photo_url(slug),
    )
    context["body"] = mark_safe(render_to_string("reports/report_body.html", context))  # noqa: S308
    context["preview"] = _("Preview of the draft with today's figures: only organisers can see it.")
    context.update(_links(slug))
    context["pdf_url"] += "?preview=draft"
    response = render(request, "reports/report.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def pdf(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    organiser = is_organiser(request.user, campaign)
    report = reports.published_report(slug)
    if report is not None and not (organiser and _wants_draft(request)):
        content = report_pdf.published_pdf(report, _language())
        private = False
    elif organiser:
        content = report_pdf.draft_pdf(reports.report_for(campaign), _language())
        private = True
    else:
        raise Http404
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slug}-report.pdf"'
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@require_GET
def photo(request: HttpRequest, slug: str, evidence_id: int) -> HttpResponseBase:
    """A photo of the report: published ones to everyone, publishable ones to organisers."""
    campaign = get_object_or_404(Campaign, slug=slug)
    evidence = (
        reports.publishable_photos(campaign).filter(pk=evidence_id).first() if evidence_id else None
    )
    if evidence is None:
        raise Http404
    extension = evidence.file.name.rsplit(".", 1)[-1].lower()
    if extension not in reports.IMAGE_EXTENSIONS:
        raise Http404
    report = reports.published_report(slug)
    published = report is not None and evidence.pk in reports.still_published_photos(
        campaign, report.snapshot
    )
    if not published and not is_organiser(request.user, campaign):
        raise Http404
    return _image(evidence, extension, public=published)


def _image(evidence: Evidence, extension: str, *, public: bool) -> FileResponse:
    try:
        handle = default_storage.open(evidence.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=CONTENT_TYPES[extension])
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


# --- The organisers' editor -------------------------------------------------------------


class ReportForm(forms.ModelForm[AfterActionReport]):
    class Meta:
        model = AfterActionReport
        fields = ["title", "introduction", "closing", *AfterActionReport.SECTIONS]
        widgets = {
            "introduction": forms.Textarea(attrs={"rows": 8}),
            "closing": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "introduction": gettext_lazy(
                "Markdown: *emphasis*, **strong**, lists, links. HTML is removed."
            ),
        }


ACTIONS = ("save", "publish", "publish_text", "unpublish")


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = get_object_or_404(Campaign, slug=campaign)
    if not is_organiser(request.user, the_campaign):
        raise PermissionDenied
    report = reports.report_for(the_campaign)
    form = ReportForm(request.POST or None, instance=report)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action not in ACTIONS:
            return HttpResponse(status=400)
        if action == "unpublish":
            if report.pk is not None and report.is_published:
                reports.unpublish(report)
                messages.success(
                    request, _("The report is no longer public. Its address now answers 404.")
                )
            return redirect("reports:report_edit", campaign=the_campaign.slug)
        if form.is_valid():
            report = form.save()
            if action == "publish":
                reports.publish(report, request.user, refresh_data=True)
                messages.success(
                    request,
                    _("The report is published with the figures counted just now."),
                )
            elif action == "publish_text" and report.is_published:
                reports.publish(report, request.user, refresh_data=False)
                messages.success(
                    request,
                    _("The new text is published; the figures stay as they were frozen."),
                )
            else:
                messages.success(
                    request, _("The draft is saved. The public sees it only once published.")
                )
            return redirect("reports:report_edit", campaign=the_campaign.slug)
    preview = reports.present(
        reports.draft_content(report),
        _language(),
        photo_ids=[p.pk for p in reports.publishable_photos(the_campaign)],
        photo_src=_photo_url(the_campaign.slug),
    )
    context = {
        "campaign": the_campaign,
        "organiser": True,
        "report": report,
        "form": form,
        "preview_body": mark_safe(render_to_string("reports/report_body.html", preview)),  # noqa: S308
        "public_url": reverse("reports:report", args=[the_campaign.slug]),
        "pdf_url": reverse("reports:report_pdf", args=[the_campaign.slug]),
    }
    return render(request, "reports/report_edit.html", context, status=400 if form.errors else 200)

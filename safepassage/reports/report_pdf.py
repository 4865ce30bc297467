"""The after-action report as a PDF, made with WeasyPrint and kept per snapshot.

The PDF is drawn from the same context as the web page, with the same SVG
map and charts inline and the published photos as data: URIs: the renderer
fetches nothing but data: URIs (see ``_fetcher``), the document carries no dates and a
file identifier derived from what it shows, so one snapshot in one language
always gives the same bytes. Those bytes are stored once in the default
storage under a name made of the snapshot's hash, the language and the
photos shown, so repeated downloads do not render again, and publishing
again (a new hash) or withdrawing a photo makes a new file.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from safepassage.deliveries.models import Evidence
from safepassage.reports import report as reports
from safepassage.reports.models import AfterActionReport

# Change this when the PDF template changes, so cached files are made again
# (2: small counts hidden, lib/smallcounts.py; the threshold is in the name too).
TEMPLATE_VERSION = "2"
CACHE_DIR = "reports/pdf"


def _fetcher() -> Any:
    """A fetcher that reads data: URIs only: a URL in the report never reaches a network."""
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def report_html(frozen: dict[str, Any], language: str, photo_ids: list[int]) -> str:
    photos = Evidence.objects.in_bulk(photo_ids)
    with translation.override(language):
        context = reports.present(
            frozen,
            language,
            photo_ids=[pk for pk in photo_ids if pk in photos],
            photo_src=lambda pk: reports.photo_data_uri(photos[pk]),
        )
        context["language"] = language
        return render_to_string("reports/pdf/report.html", context)


def render_pdf(html: str, identifier: str) -> bytes:
    """HTML to PDF bytes, reproducibly (no dates; a fixed file identifier)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=None, url_fetcher=_fetcher())
    pdf: bytes = document.write_pdf(
        pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode()
    )
    return pdf


def cache_name(report: AfterActionReport, language: str, photo_ids: list[int]) -> str:
    key = ":".join(
        [
            TEMPLATE_VERSION,
            str(settings.PUBLIC_COUNT_THRESHOLD),
            report.snapshot_sha256,
            language,
            ",".join(str(pk) for pk in photo_ids),
        ]
    )
    return f"{CACHE_DIR}/{hashlib.sha256(key.encode()).hexdigest()}.pdf"


def published_pdf(report: AfterActionReport, language: str) -> bytes:
    """The published snapshot's PDF, rendered once and then read from storage."""
    if not report.is_published or not report.snapshot_sha256:
        raise ValueError("only a published report has a PDF to keep")
    photo_ids = reports.still_published_photos(report.campaign, report.snapshot)
    name = cache_name(report, language, photo_ids)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            cached: bytes = handle.read()
        return cached
    pdf = render_pdf(
        report_html(report.snapshot, language, photo_ids),
        f"safepassage report {report.snapshot_sha256} {language}",
    )
    if not default_storage.exists(name):
        # Two requests may render at once; both produce the same bytes, one file is kept.
        default_storage.save(name, ContentFile(pdf))
    return pdf


def draft_pdf(report: AfterActionReport, language: str) -> bytes:
    """A preview of the draft for organisers: rendered each time, never kept."""
    frozen = reports.draft_content(report)
    photo_ids = [int(photo["id"]) for photo in frozen["data"]["photos"]]
    return render_pdf(report_html(frozen, language, photo_ids), "safepassage report draft")

"""The after-action report as a PDF, printed by lib/pdf.py and kept per snapshot.

The PDF is drawn from the same context as the web page, with the same SVG
map and charts inline and the published photos scaled down for print and
handed to the renderer, which fetches nothing else. The document carries no
dates and a file identifier derived from what it shows, so one snapshot in
one language always gives the same bytes. Those bytes are stored once in the
default storage under a name made of the snapshot's hash, the language and
the photos shown, so repeated downloads do not render again, and publishing
again (a new hash) or withdrawing a photo makes a new file.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from safepassage.deliveries.models import Evidence
from safepassage.lib.pdf import Resources, html_to_pdf
from safepassage.reports import report as reports
from safepassage.reports.models import AfterActionReport

# Change this when the PDF template changes, so cached files are made again
# (2: small counts hidden, lib/smallcounts.py; the threshold is in the name too;
# 3: missions without signatures or a recorded delivery summed up in one line).
TEMPLATE_VERSION = "3"
CACHE_DIR = "reports/pdf"
# Photos are drawn into the PDF at most this many pixels wide or high.
PHOTO_PIXELS = 1000


def print_photo(evidence: Evidence) -> bytes:
    """A photo scaled down for print, as JPEG."""
    from PIL import Image

    with default_storage.open(evidence.file.name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    rgb = image.convert("RGB")
    rgb.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()


def report_html(
    frozen: dict[str, Any], language: str, photo_ids: list[int], resources: Resources
) -> str:
    """The PDF's HTML; the photos it shows are added to ``resources``."""
    photos = Evidence.objects.in_bulk(photo_ids)

    def photo_src(pk: int) -> str:
        return resources.add_bytes(f"photo-{pk}", print_photo(photos[pk]), "image/jpeg")

    with translation.override(language):
        context = reports.present(
            frozen,
            language,
            photo_ids=[pk for pk in photo_ids if pk in photos],
            photo_src=photo_src,
        )
        context["language"] = language
        return render_to_string("reports/pdf/report.html", context)


def render_pdf(frozen: dict[str, Any], language: str, photo_ids: list[int]) -> bytes:
    resources = Resources()
    return html_to_pdf(report_html(frozen, language, photo_ids, resources), resources)


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
    pdf = render_pdf(report.snapshot, language, photo_ids)
    if not default_storage.exists(name):
        # Two requests may render at once; both produce the same bytes, one file is kept.
        default_storage.save(name, ContentFile(pdf))
    return pdf


def draft_pdf(report: AfterActionReport, language: str) -> bytes:
    """A preview of the draft for organisers: rendered each time, never kept."""
    frozen = reports.draft_content(report)
    photo_ids = [int(photo["id"]) for photo in frozen["data"]["photos"]]
    return render_pdf(frozen, language, photo_ids)

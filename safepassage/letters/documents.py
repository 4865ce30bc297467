"""Supporting documents: checking and storing the PDFs sent with the letters.

A supporting document is copied into every packet, so a file that is not a
PDF, cannot be opened by the packet builder (encrypted or broken), or is so
long that it would swamp a 280-packet build is refused at upload, with a
message the uploader can act on. The checked file's sha256 and page count
are stored with it; packets list both.
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify
from django.utils.translation import gettext as _

from safepassage.letters.models import SupportingDocument
from safepassage.lib.pdf import EncryptedPdf, UnreadablePdf, check_readable

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.core.files.uploadedfile import UploadedFile

    from safepassage.campaigns.models import Campaign

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 200
_READ_CHUNK = 1024 * 1024


def _read_limited(f: UploadedFile, max_bytes: int) -> bytes:
    """The upload's bytes, refusing early once it is larger than ``max_bytes``."""
    if f.size is not None and f.size > max_bytes:
        raise _too_big(max_bytes)
    f.seek(0)
    buffer = io.BytesIO()
    for chunk in f.chunks(_READ_CHUNK):
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise _too_big(max_bytes)
    f.seek(0)
    return buffer.getvalue()


def _too_big(max_bytes: int) -> ValidationError:
    return ValidationError(
        _("The file is larger than %(size)s MB. Please upload a smaller PDF."),
        code="too_big",
        params={"size": max_bytes // (1024 * 1024)},
    )


def validate_pdf_upload(
    f: UploadedFile, *, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES
) -> tuple[str, int]:
    """Check that ``f`` is a PDF the packet builder can use; return (sha256, pages).

    The content decides, not the file name: a text file called ``.pdf`` is
    refused. The file is opened as the packet builder opens it and every page
    is read once, so a file whose page tree is broken is refused here rather
    than in the middle of a packet build.
    """
    data = _read_limited(f, max_bytes)
    # The header may follow a little junk; PDF readers look in the first KB.
    if b"%PDF-" not in data[:1024]:
        raise ValidationError(
            _("This file is not a PDF. Please upload a PDF document."), code="not_pdf"
        )
    try:
        pages = check_readable(data, max_pages=max_pages)
    except EncryptedPdf as error:
        raise ValidationError(
            _(
                "This PDF is password-protected or encrypted. "
                "Please upload a copy without protection."
            ),
            code="encrypted",
        ) from error
    except UnreadablePdf as error:
        raise ValidationError(
            _(
                "This PDF is damaged and cannot be read. "
                "Please export it again and upload the new file."
            ),
            code="broken",
        ) from error
    if pages > max_pages:
        raise ValidationError(
            _("The PDF has %(pages)s pages; at most %(max)s are allowed."),
            code="too_long",
            params={"pages": pages, "max": max_pages},
        )
    if pages == 0:
        raise ValidationError(_("This PDF has no pages."), code="empty")
    return hashlib.sha256(data).hexdigest(), pages


def store_supporting_document(
    campaign: Campaign,
    *,
    title: str,
    language: str,
    file: UploadedFile,
    user: AbstractBaseUser | AnonymousUser | None,
) -> SupportingDocument:
    """Check ``file`` and save it as the campaign's supporting document ``title``.

    Uploading the same title and language again replaces that document's
    file (the unique constraint allows only one), so a corrected flyer
    does not leave the old one in packets.
    """
    sha256, pages = validate_pdf_upload(file)
    file.seek(0)
    data = file.read()
    name = get_valid_filename(f"{slugify(title) or 'document'}-{language}.pdf")
    uploader = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        document = SupportingDocument.objects.filter(
            campaign=campaign, title=title, language=language
        ).first() or SupportingDocument(campaign=campaign, title=title, language=language)
        old_name = document.file.name if document.pk and document.file else ""
        document.sha256 = sha256
        document.pages = pages
        document.uploaded_by = uploader  # type: ignore[assignment]
        document.uploaded_at = timezone.now()
        document.file.save(name, ContentFile(data), save=False)
        document.save()
    if old_name and old_name != document.file.name:
        document.file.storage.delete(old_name)
    return document

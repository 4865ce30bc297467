"""Supporting-document uploads: only whole, readable, unprotected PDFs get in."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from safepassage.letters.documents import store_supporting_document, validate_pdf_upload
from safepassage.letters.models import SupportingDocument
from safepassage.letters.tests.letter_fixtures import html_pdf, make_campaign


def three_page_pdf(word: str = "Inquiry") -> bytes:
    return html_pdf(
        "<style>p { break-after: page }</style>"
        + "".join(f"<p>{word} page {n}</p>" for n in range(1, 4))
    )


def upload(data: bytes, name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def code_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return excinfo.value.code


def test_a_real_pdf_is_accepted_with_its_hash_and_page_count():
    data = three_page_pdf()
    assert validate_pdf_upload(upload(data)) == (hashlib.sha256(data).hexdigest(), 3)


def test_a_text_file_called_pdf_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_pdf_upload(upload(b"Dear President,\nthis is not a PDF at all.\n"))
    assert code_of(excinfo) == "not_pdf"
    assert "not a PDF" in excinfo.value.messages[0]


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(three_page_pdf())))
    writer.encrypt(user_password="", owner_password="secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError) as excinfo:
        validate_pdf_upload(upload(out.getvalue()))
    assert code_of(excinfo) == "encrypted"
    assert "password" in excinfo.value.messages[0]


def test_a_broken_pdf_is_refused():
    data = three_page_pdf()
    truncated = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n%%EOF"
    for broken in (truncated, data[: len(data) // 3]):
        with pytest.raises(ValidationError) as excinfo:
            validate_pdf_upload(upload(broken))
        assert code_of(excinfo) in {"broken", "empty"}


def test_too_big_and_too_long_pdfs_are_refused():
    data = three_page_pdf()
    with pytest.raises(ValidationError) as excinfo:
        validate_pdf_upload(upload(data), max_bytes=len(data) - 1)
    assert code_of(excinfo) == "too_big"
    with pytest.raises(ValidationError) as excinfo:
        validate_pdf_upload(upload(data), max_pages=2)
    assert code_of(excinfo) == "too_long"
    assert "3 pages" in excinfo.value.messages[0]


@pytest.mark.django_db
def test_storing_saves_the_checked_file_and_replaces_an_older_upload(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign()
    user = get_user_model().objects.create_user("uploader", password="pw")
    first = three_page_pdf("First")
    document = store_supporting_document(
        campaign, title="UN inquiry chair's letter", language="en", file=upload(first), user=user
    )
    document.refresh_from_db()
    assert (document.pages, document.sha256) == (3, hashlib.sha256(first).hexdigest())
    assert document.uploaded_by == user
    with document.file.open("rb") as handle:
        assert handle.read() == first
    old_name = document.file.name

    second = three_page_pdf("Second")
    again = store_supporting_document(
        campaign, title="UN inquiry chair's letter", language="en", file=upload(second), user=None
    )
    assert again.pk == document.pk and SupportingDocument.objects.count() == 1
    again.refresh_from_db()
    assert again.sha256 == hashlib.sha256(second).hexdigest() and again.uploaded_by is None
    with again.file.open("rb") as handle:
        assert handle.read() == second
    assert again.file.name != old_name and not again.file.storage.exists(old_name)

    with pytest.raises(ValidationError):
        store_supporting_document(
            campaign, title="Flyer", language="en", file=upload(b"not a pdf"), user=user
        )
    assert SupportingDocument.objects.count() == 1

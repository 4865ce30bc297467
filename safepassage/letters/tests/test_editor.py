"""The letter pages with Django's test client: sample → fork → edit → submit → approve → PDF."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument
from safepassage.letters.tests.test_services import SAMPLE_BODY, World, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None) -> World:
    return World()


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def edit_data(
    version: LetterVersion | None, rows: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    """What the editor's form posts: the version's text, signatory rows, then overrides."""
    data: dict[str, Any] = {
        "subject": version.subject if version else "",
        "body": version.body if version else "",
        "closing": version.closing if version else "",
        "letterhead": "",
    }
    if rows is None:
        rows = (
            [
                {"name": s.name, "title": s.title, "previous": s.pk}
                for s in version.signatories.all()
            ]
            if version
            else []
        )
    existing = len(version.signatories.all()) if version else 0
    data.update(
        {
            "signatories-TOTAL_FORMS": str(len(rows)),
            "signatories-INITIAL_FORMS": str(existing),
            "signatories-MIN_NUM_FORMS": "0",
            "signatories-MAX_NUM_FORMS": "40",
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"signatories-{i}-{key}"] = value
    data.update(fields)
    return data


def test_sample_fork_edit_submit_approve_and_preview(client: Any, world: World) -> None:
    slug = world.campaign.slug
    head = Letterhead.objects.create(
        organisation=world.org_a,
        name="Coalition head",
        kind=Letterhead.Kind.DESIGNED,
        footer_lines="Board: Suzanne Scholte, Chair",
    )
    other_head = Letterhead.objects.create(
        organisation=world.org_b, name="Tokyo head", kind=Letterhead.Kind.DESIGNED
    )

    # The organiser writes and approves the sample letter.
    client.force_login(world.organiser)
    index = client.get(reverse("letters:index", args=[slug]))
    assert index.status_code == 200
    assert "There is no sample letter yet" in index.content.decode()
    response = client.post(
        reverse("letters:sample-new", args=[slug]),
        {
            "language": "en",
            "subject": "Safe passage",
            "body": SAMPLE_BODY,
            "closing": "Respectfully,",
        },
    )
    sample = Letter.objects.get(campaign=world.campaign, organisation=None)
    assert response.status_code == 302
    assert response["Location"] == reverse("letters:edit", args=[slug, sample.pk])
    response = client.post(
        reverse("letters:review", args=[slug, sample.pk, 1]), {"decision": "approve"}
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.approved_version is not None and sample.approved_version.number == 1

    # A partner editor forks it for their organisation.
    client.force_login(world.editor_a)
    index = client.get(reverse("letters:index", args=[slug])).content.decode()
    assert "Start our letter" in index
    assert "Tokyo Refugee Help" not in index  # another organisation is no choice of theirs
    response = client.post(
        reverse("letters:fork", args=[slug, sample.pk]), {"organisation": world.org_b.pk}
    )
    assert not Letter.objects.filter(organisation=world.org_b).exists()
    response = client.post(
        reverse("letters:fork", args=[slug, sample.pk]), {"organisation": world.org_a.pk}
    )
    letter = Letter.objects.get(organisation=world.org_a)
    assert response["Location"] == reverse("letters:edit", args=[slug, letter.pk])
    assert letter.forked_from == sample.approved_version

    edit_url = reverse("letters:edit", args=[slug, letter.pk])
    page = client.get(edit_url).content.decode()
    assert "{{ mission_name }}" in page
    assert "name of the embassy" in page.lower() or "embassy" in page.lower()
    assert "Coalition head" in page and "Tokyo head" not in page  # own letterheads only

    # An unknown field: the error names it, the typed text stays, nothing is saved.
    v1 = letter.latest_version()
    typed = SAMPLE_BODY + "\n\nWe greet the staff of {{ embassy_name }} & <friends>."
    response = client.post(edit_url, edit_data(v1, body=typed))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_body-error"[^>]*>[^<]*embassy_name', html)
    assert "We greet the staff of {{ embassy_name }} &amp; &lt;friends&gt;." in html
    assert letter.versions.count() == 1

    # Fixed, with a signatory and a scanned signature, a letterhead and an attachment.
    flyer = SupportingDocument.objects.create(
        campaign=world.campaign, title="Flyer", language="en", file="supporting/flyer.pdf"
    )
    own_words = SAMPLE_BODY + "\n\nThe Freedom Coalition greets {{ mission_name }}."
    rows: list[dict[str, Any]] = [
        {"name": "Suzanne Scholte", "title": "Chair", "signature_image": _png("scan.png")},
        {"name": "", "title": ""},
    ]
    response = client.post(
        edit_url,
        edit_data(v1, rows, body=own_words, letterhead=head.pk, attachments=[flyer.pk]),
    )
    assert response.status_code == 302
    v2 = letter.versions.get(number=2)
    assert v2.body == own_words and v2.status == "draft" and v2.created_by == world.editor_a
    [signatory] = v2.signatories.all()
    assert (signatory.name, signatory.title) == ("Suzanne Scholte", "Chair")
    scan = signatory.signature_image.name
    assert scan.endswith(".png") and "scan" not in scan  # stored under a random name
    letter.refresh_from_db()
    assert letter.letterhead == head
    assert list(letter.attachments.all()) == [flyer]

    # Someone else's letterhead is refused.
    response = client.post(edit_url, edit_data(v2, letterhead=other_head.pk))
    assert response.status_code == 400
    letter.refresh_from_db()
    assert letter.letterhead == head

    # Saving again unchanged makes nothing; the scan is kept into the next version.
    response = client.post(
        edit_url, edit_data(v2, letterhead=head.pk, attachments=[flyer.pk]), follow=True
    )
    assert "Nothing changed" in response.content.decode()
    assert letter.versions.count() == 2
    response = client.post(
        edit_url,
        edit_data(v2, closing="With respect,", letterhead=head.pk, attachments=[flyer.pk]),
    )
    v3 = letter.versions.get(number=3)
    assert v3.signatories.get().signature_image.name == scan

    # Submitted for approval, then approved by an organiser.
    response = client.post(reverse("letters:submit", args=[slug, letter.pk, 3]), follow=True)
    assert "waiting for an organiser" in response.content.decode()
    v3.refresh_from_db()
    assert v3.status == "submitted"
    page = client.get(edit_url).content.decode()
    assert "Approve this version" not in page  # not offered to a partner editor

    client.force_login(world.organiser)
    page = client.get(reverse("letters:history", args=[slug, letter.pk])).content.decode()
    assert "Approve this version" in page
    assert '<span class="diff-add">+ With respect,</span>' in page
    response = client.post(
        reverse("letters:review", args=[slug, letter.pk, 3]), {"decision": "approve"}
    )
    letter.refresh_from_db()
    assert letter.approved_version == v3

    # The preview PDF, with the sample merge values filled in.
    client.force_login(world.editor_a)
    response = client.get(reverse("letters:preview", args=[slug, letter.pk, 3]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == ('inline; filename="snkrd-letters-freedom-en-v3.pdf"')
    content = response.content
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "Dear Xi Jinping" in text
    assert "The Freedom Coalition greets Embassy (example)." in text
    assert "{{" not in text
    assert "Suzanne Scholte" in text


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def test_the_history_shows_each_version_with_escaped_changes(client: Any, world: World) -> None:
    from safepassage.letters import services

    sample = world.sample(approve=False)
    services.save_version(
        sample,
        subject="Safe passage",
        body=SAMPLE_BODY + "\n\n<script>alert(1)</script>",
        closing="Respectfully,",
        user=world.organiser,
    )
    client.force_login(world.organiser)
    page = client.get(reverse("letters:history", args=[world.campaign.slug, sample.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="version-1"' in html and 'id="version-2"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "Olivia Organiser" in html


def test_requesting_changes_shows_the_note_to_the_editor(client: Any, world: World) -> None:
    from safepassage.letters import services

    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    services.submit(letter.latest_version(), user=world.editor_a)  # type: ignore[arg-type]
    client.force_login(world.organiser)
    url = reverse("letters:review", args=[world.campaign.slug, letter.pk, 1])
    response = client.post(url, {"decision": "reject", "note": ""}, follow=True)
    assert "Please say what should change." in response.content.decode()
    client.post(url, {"decision": "reject", "note": "Please add your <board>."})
    client.force_login(world.editor_a)
    page = client.get(reverse("letters:edit", args=[world.campaign.slug, letter.pk]))
    html = page.content.decode()
    assert "Please add your &lt;board&gt;." in html
    assert 'id="submit-for-approval"' in html  # it can be sent again


def test_letterheads_designed_and_uploaded(client: Any, world: World) -> None:
    slug = world.campaign.slug
    client.force_login(world.editor_a)
    new_designed = reverse("letters:letterhead-new", args=[slug, world.org_a.pk, "designed"])
    response = client.post(
        new_designed,
        {"name": "Plain", "show_logo": "on", "footer_lines": "A\nB", "accent_colour": "red"},
    )
    assert response.status_code == 400
    assert "six hexadecimal digits" in response.content.decode()
    response = client.post(
        new_designed,
        {"name": "Plain", "show_logo": "on", "footer_lines": "A\nB", "accent_colour": "#336699"},
    )
    assert response.status_code == 302
    designed = Letterhead.objects.get(organisation=world.org_a, name="Plain")
    assert designed.kind == "designed" and designed.accent_colour == "#336699"
    response = client.post(new_designed, {"name": "Plain", "accent_colour": "#000000"})
    assert "already has a letterhead of this name" in response.content.decode()

    preview = client.get(
        reverse("letters:letterhead-preview", args=[slug, world.org_a.pk, designed.pk])
    )
    assert preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF-")
    assert "Freedom Coalition" in pdf_text(preview.content)

    new_uploaded = reverse("letters:letterhead-new", args=[slug, world.org_a.pk, "uploaded"])
    too_long = SimpleUploadedFile("head.pdf", pdf_bytes(3), content_type="application/pdf")
    response = client.post(new_uploaded, {"name": "Paper", "first_page": too_long})
    assert response.status_code == 400
    assert "A letterhead PDF has one or two pages; this one has 3." in response.content.decode()
    not_pdf = SimpleUploadedFile("head.pdf", b"hello", content_type="application/pdf")
    response = client.post(new_uploaded, {"name": "Paper", "first_page": not_pdf})
    assert response.status_code == 400
    assert not Letterhead.objects.filter(name="Paper").exists()
    good = SimpleUploadedFile("Board of Kim.pdf", pdf_bytes(1), content_type="application/pdf")
    response = client.post(new_uploaded, {"name": "Paper", "first_page": good})
    assert response.status_code == 302
    uploaded = Letterhead.objects.get(name="Paper")
    assert uploaded.kind == "uploaded" and uploaded.first_page.name.endswith(".pdf")
    assert "Kim" not in uploaded.first_page.name
    # Editing keeps the file when none is uploaded.
    edit = reverse("letters:letterhead-edit", args=[slug, world.org_a.pk, uploaded.pk])
    assert client.post(edit, {"name": "Paper 2"}).status_code == 302
    uploaded.refresh_from_db()
    assert uploaded.name == "Paper 2" and uploaded.first_page
    page = client.get(reverse("letters:letterheads", args=[slug, world.org_a.pk])).content
    assert b"Paper 2" in page and b"Plain" in page


def test_supporting_documents_upload_list_publish_and_delete(client: Any, world: World) -> None:
    slug = world.campaign.slug
    url = reverse("letters:documents", args=[slug])
    client.force_login(world.organiser)
    response = client.post(
        url,
        {
            "title": "UN inquiry chair's letter",
            "language": "en",
            "file": SimpleUploadedFile("coi.pdf", pdf_bytes(2), content_type="application/pdf"),
            "public": "on",
        },
    )
    assert response.status_code == 302
    document = SupportingDocument.objects.get(campaign=world.campaign)
    assert (document.pages, document.public, len(document.sha256)) == (2, True, 64)
    response = client.post(
        url,
        {
            "title": "Fake",
            "language": "en",
            "file": SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400 and "not a PDF" in response.content.decode()
    page = client.get(url).content.decode()
    assert document.sha256 in page and "UN inquiry chair&#x27;s letter" in page

    client.post(reverse("letters:document-public", args=[slug, document.pk]), {"public": "0"})
    document.refresh_from_db()
    assert document.public is False

    response = client.post(
        reverse("letters:document-delete", args=[slug, document.pk]), follow=True
    )
    assert "is deleted" in response.content.decode()
    assert not SupportingDocument.objects.filter(pk=document.pk).exists()


def test_posts_need_the_csrf_token(world: World) -> None:
    from django.test import Client

    sample = world.sample()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.editor_a)
    response = client.post(
        reverse("letters:fork", args=[world.campaign.slug, sample.pk]),
        {"organisation": world.org_a.pk},
    )
    assert response.status_code == 403
    assert not Letter.objects.filter(organisation=world.org_a).exists()


def test_the_admin_lists_letters_and_shows_versions_read_only(client: Any, world: World) -> None:
    from safepassage.letters import services

    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    version = letter.latest_version()
    assert version is not None
    world.organiser.is_staff = True
    world.organiser.save()
    client.force_login(world.organiser)
    for model in ("letter", "letterversion", "letterhead", "supportingdocument"):
        assert client.get(reverse(f"admin:letters_{model}_changelist")).status_code == 200, model
    page = client.get(reverse("admin:letters_letterversion_change", args=[version.pk]))
    assert page.status_code == 200
    assert 'name="body"' not in page.content.decode()  # shown, not editable
    response = client.post(
        reverse("admin:letters_letterversion_change", args=[version.pk]), {"body": "Changed"}
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.body == SAMPLE_BODY
    # A partner editor with staff status sees no letters in the admin.
    world.editor_a.is_staff = True
    world.editor_a.save()
    client.force_login(world.editor_a)
    assert client.get(reverse("admin:letters_letter_changelist")).status_code == 403

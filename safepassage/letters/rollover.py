"""Next year's campaign, the letters app's part: supporting documents and letters.

Letterheads belong to organisations, not campaigns: the copies keep using
them. Each letter starts next year with one version, a draft holding the text
of its approved version (else its newest), so that an organiser approves it
again before it is printed into a packet. Stored files (documents, scanned
signatures) are shared by the copies, as versions of one letter share them
(``services.delete_document`` deletes a file only when no document uses it).
"""

from __future__ import annotations

from safepassage.campaigns.models import Campaign
from safepassage.letters.models import Letter, LetterVersion, Signatory, SupportingDocument


def _copy_documents(old: Campaign, new: Campaign) -> dict[int, SupportingDocument]:
    copies = {}
    for document in old.supporting_documents.order_by("pk"):
        copies[document.pk] = SupportingDocument.objects.create(
            campaign=new,
            title=document.title,
            language=document.language,
            file=document.file.name,
            sha256=document.sha256,
            pages=document.pages,
            public=document.public,
            uploaded_by=document.uploaded_by,
        )
    return copies


def _copy_letter(letter: Letter, new: Campaign, forked_from: LetterVersion | None) -> LetterVersion:
    copy = Letter.objects.create(
        campaign=new,
        organisation=letter.organisation,
        language=letter.language,
        letterhead=letter.letterhead,
        in_packets=letter.in_packets,
        forked_from=forked_from,
    )
    source = letter.approved_version or letter.latest_version()
    version = LetterVersion.objects.create(
        letter=copy,
        number=1,
        subject=source.subject if source else "",
        body=source.body if source else "",
        closing=source.closing if source else "",
        status=LetterVersion.Status.DRAFT,
        created_by=source.created_by if source else None,
    )
    if source is not None:
        Signatory.objects.bulk_create(
            Signatory(
                version=version,
                position=signatory.position,
                name=signatory.name,
                title=signatory.title,
                signature_image=signatory.signature_image.name,
            )
            for signatory in source.signatories.order_by("position", "pk")
        )
    return version


def copy_for_rollover(old: Campaign, new: Campaign) -> int:
    """Copy the documents and the letters (samples first, then the partners'); how many letters."""
    documents = _copy_documents(old, new)
    samples: dict[str, LetterVersion] = {}
    letters = old.letters.select_related("approved_version").prefetch_related("attachments")
    # Samples (no organisation) first: a partner's letter is forked from next year's sample.
    ordered = sorted(letters, key=lambda letter: (letter.organisation_id is not None, letter.pk))
    for letter in ordered:
        forked_from = None if letter.is_sample else samples.get(letter.language)
        version = _copy_letter(letter, new, forked_from)
        if letter.is_sample:
            samples[letter.language] = version
        attached = [documents[d.pk] for d in letter.attachments.all() if d.pk in documents]
        version.letter.attachments.set(attached)
    return len(ordered)

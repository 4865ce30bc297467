"""The letter workflow: who may do what, new versions, forks, review, documents.

Views stay thin and call these functions; the rules live here so that the
pages, the admin and the tests agree. Permissions build on
``safepassage.accounts.permissions``:

- organisers of the campaign see, edit and review every letter, letterhead
  and supporting document of it;
- a partner organisation editor sees the campaign's sample letters (they
  fork them) and edits only their own organisation's letters and
  letterheads; they never review, whatever the request says;
- everyone else (coordinators, the public) has no business here.

A ``LetterVersion`` is never edited in place: every save that changes the
text or the signatories makes a new one with the next number. Review
metadata (status, reviewer, note) is the only thing that changes on a
version after it is made.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safepassage.accounts.permissions import editable_organisations, is_organiser
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.letters.models import (
    Letter,
    Letterhead,
    LetterVersion,
    Signatory,
    SupportingDocument,
)

Status = LetterVersion.Status

# --- permissions ---------------------------------------------------------------------------


def may_use_letters(user: Any, campaign: Campaign) -> bool:
    """Organisers and partner editors of the campaign; nobody else."""
    return is_organiser(user, campaign) or bool(editable_organisations(user, campaign))


def organisations_for(user: Any, campaign: Campaign) -> QuerySet[Organisation]:
    """The organisations whose letters and letterheads the user may edit here.

    Organisers: the campaign's member organisations and any organisation that
    already has a letter in it. Partner editors: their own organisation.
    """
    if is_organiser(user, campaign):
        return Organisation.objects.filter(
            Q(campaigns=campaign) | Q(letters__campaign=campaign)
        ).distinct()
    return Organisation.objects.filter(pk__in=editable_organisations(user, campaign))


def letters_for(user: Any, campaign: Campaign) -> QuerySet[Letter]:
    """The letters the user may see: all for organisers, else samples and their own."""
    letters = Letter.objects.filter(campaign=campaign)
    if is_organiser(user, campaign):
        return letters
    own = editable_organisations(user, campaign)
    if not own:
        return letters.none()
    return letters.filter(Q(organisation__isnull=True) | Q(organisation_id__in=own))


def can_view_letter(user: Any, letter: Letter) -> bool:
    return letters_for(user, letter.campaign).filter(pk=letter.pk).exists()


def can_edit_letter(user: Any, letter: Letter) -> bool:
    """Sample letters: organisers only. An organisation's letter: organisers and its editors."""
    if is_organiser(user, letter.campaign_id):
        return True
    return letter.organisation_id is not None and letter.organisation_id in editable_organisations(
        user, letter.campaign_id
    )


def can_review(user: Any, letter: Letter) -> bool:
    """Only the campaign's organisers approve or send back a version."""
    return is_organiser(user, letter.campaign_id)


def can_edit_organisation(user: Any, campaign: Campaign, organisation_id: int) -> bool:
    return organisations_for(user, campaign).filter(pk=organisation_id).exists()


# --- merge fields ---------------------------------------------------------------------------


def check_merge_fields(text: str) -> None:
    """Raise a ValidationError that names every bad merge field in ``text``."""
    from safepassage.letters.merge import unknown_fields

    problems = unknown_fields(text)
    if problems:
        raise ValidationError(
            _(
                "These merge fields are unknown or malformed: %(fields)s. "
                "Use one of the fields listed beside the text, written like {{ city }}."
            ),
            code="merge_field",
            params={"fields": ", ".join(problems)},
        )


# --- versions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatoryData:
    """One signatory as the editor submitted it.

    ``image`` is the stored name of an existing scan (kept from the previous
    version), a new ``File`` to store, or empty for none.
    """

    name: str
    title: str = ""
    image: str | File[bytes] = ""


def _signatory_key(signatories: Iterable[SignatoryData]) -> list[tuple[str, str, str | None]]:
    """What decides whether the signatories changed (a new upload always does)."""
    return [(s.name, s.title, s.image if isinstance(s.image, str) else None) for s in signatories]


def _existing_signatories(version: LetterVersion) -> list[SignatoryData]:
    return [
        SignatoryData(s.name, s.title, s.signature_image.name or "")
        for s in version.signatories.all()
    ]


def _unchanged(
    version: LetterVersion,
    subject: str,
    body: str,
    closing: str,
    signatories: Sequence[SignatoryData],
) -> bool:
    if (version.subject, version.body, version.closing) != (subject, body, closing):
        return False
    if any(not isinstance(s.image, str) for s in signatories):
        return False
    return _signatory_key(_existing_signatories(version)) == _signatory_key(signatories)


def save_version(
    letter: Letter,
    *,
    subject: str,
    body: str,
    closing: str,
    signatories: Sequence[SignatoryData] = (),
    user: Any,
) -> LetterVersion | None:
    """Make the next version of the letter, or nothing if nothing changed.

    Raises ValidationError (on ``body``) when the text has a bad merge field;
    then nothing is saved.
    """
    body = body.replace("\r\n", "\n")
    try:
        check_merge_fields(subject + "\n" + body + "\n" + closing)
    except ValidationError as error:
        raise ValidationError({"body": error}) from None
    with transaction.atomic():
        # Serialises concurrent saves of one letter on PostgreSQL; on SQLite
        # the IMMEDIATE transaction already does, and the unique constraint
        # on (letter, number) is the last word either way.
        Letter.objects.select_for_update().filter(pk=letter.pk).order_by().first()
        latest = letter.latest_version()
        if latest is not None and _unchanged(latest, subject, body, closing, signatories):
            return None
        number = (letter.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = LetterVersion.objects.create(
            letter=letter,
            number=number,
            subject=subject,
            body=body,
            closing=closing,
            status=Status.DRAFT,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _add_signatories(version, signatories)
    return version


def _add_signatories(version: LetterVersion, signatories: Iterable[SignatoryData]) -> None:
    for position, data in enumerate(signatories):
        signatory = Signatory(version=version, position=position, name=data.name, title=data.title)
        if isinstance(data.image, str):
            # The same stored file as before: scans are shared between versions.
            signatory.signature_image.name = data.image
        else:
            signatory.signature_image.save(data.image.name or "signature", data.image, save=False)
        signatory.save()


def create_sample_letter(
    campaign: Campaign,
    *,
    language: str,
    subject: str,
    body: str,
    closing: str,
    user: Any,
) -> Letter:
    """The campaign's sample letter in one language, with its first version."""
    if Letter.objects.filter(
        campaign=campaign, organisation__isnull=True, language=language
    ).exists():
        raise ValidationError({"language": _("There is already a sample letter in this language.")})
    with transaction.atomic():
        letter = Letter.objects.create(campaign=campaign, organisation=None, language=language)
        save_version(letter, subject=subject, body=body, closing=closing, user=user)
    return letter


def fork_source(sample: Letter) -> LetterVersion | None:
    """What a fork starts from: the approved version, else the newest one."""
    return sample.approved_version or sample.latest_version()


def fork(sample: Letter, organisation: Organisation, *, user: Any) -> Letter:
    """An organisation's own letter, starting from the sample letter's text.

    Signatories are not copied: the sample's are the coalition's officers,
    and carrying their names (and scanned signatures) into another
    organisation's letter would have it signed by people who did not sign it.
    The letterhead and attachments start as the organisation's chosen later.
    """
    if not sample.is_sample:
        raise ValidationError(_("Only a sample letter can be used as a starting point."))
    source = fork_source(sample)
    if source is None:
        raise ValidationError(_("The sample letter has no text yet."))
    if Letter.objects.filter(
        campaign=sample.campaign, organisation=organisation, language=sample.language
    ).exists():
        raise ValidationError(
            _("%(organisation)s already has a letter in this language.")
            % {"organisation": organisation.name}
        )
    with transaction.atomic():
        letter = Letter.objects.create(
            campaign=sample.campaign,
            organisation=organisation,
            language=sample.language,
            forked_from=source,
        )
        LetterVersion.objects.create(
            letter=letter,
            number=1,
            subject=source.subject,
            body=source.body,
            closing=source.closing,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
    return letter


# --- review ---------------------------------------------------------------------------------


def submit(version: LetterVersion, *, user: Any) -> None:
    """The editor asks for approval of the letter's newest version."""
    letter = version.letter
    if not can_edit_letter(user, letter):
        raise ValidationError(_("You may not submit this letter."))
    latest = letter.latest_version()
    if latest is None or latest.pk != version.pk:
        raise ValidationError(_("Only the newest version can be submitted."))
    if version.status not in (Status.DRAFT, Status.REJECTED):
        raise ValidationError(
            _("This version is already %(status)s.") % {"status": version.get_status_display()}
        )
    LetterVersion.objects.filter(pk=version.pk).update(status=Status.SUBMITTED)
    version.status = Status.SUBMITTED


def may_approve_own(user: Any, version: LetterVersion) -> bool:
    """False when the campaign's four-eyes option is on and ``user`` wrote the version."""
    if not version.letter.campaign.letters_four_eyes:
        return True
    return version.created_by_id is None or version.created_by_id != getattr(user, "pk", None)


def approve(version: LetterVersion, *, user: Any) -> None:
    """An organiser approves: this version becomes the one printed in packets."""
    letter = version.letter
    if not can_review(user, letter):
        raise ValidationError(_("Only the campaign's organisers approve letters."))
    if version.status not in (Status.DRAFT, Status.SUBMITTED):
        raise ValidationError(
            _("A version that is %(status)s cannot be approved.")
            % {"status": version.get_status_display()}
        )
    if not may_approve_own(user, version):
        raise ValidationError(
            _(
                "This campaign asks for four eyes: you wrote this version, so another "
                "organiser must approve it."
            )
        )
    now = timezone.now()
    with transaction.atomic():
        LetterVersion.objects.filter(pk=version.pk).update(
            status=Status.APPROVED, reviewed_by=user, reviewed_at=now, review_note=""
        )
        Letter.objects.filter(pk=letter.pk).update(approved_version=version)
    version.status, version.reviewed_by, version.reviewed_at = Status.APPROVED, user, now
    letter.approved_version = version


def request_changes(version: LetterVersion, *, user: Any, note: str) -> None:
    """An organiser sends a submitted version back; the approved version stays as it was."""
    if not can_review(user, version.letter):
        raise ValidationError(_("Only the campaign's organisers review letters."))
    if version.status != Status.SUBMITTED:
        raise ValidationError(_("Only a version waiting for approval can be sent back."))
    if not note.strip():
        raise ValidationError(_("Please say what should change."))
    now = timezone.now()
    LetterVersion.objects.filter(pk=version.pk).update(
        status=Status.REJECTED, reviewed_by=user, reviewed_at=now, review_note=note.strip()
    )
    version.status, version.reviewed_by, version.reviewed_at = Status.REJECTED, user, now
    version.review_note = note.strip()


# --- history --------------------------------------------------------------------------------


def version_text(version: LetterVersion) -> list[str]:
    """A version as lines, for comparing two of them."""
    lines = [_("Subject: %(subject)s") % {"subject": version.subject}, ""]
    lines += version.body.split("\n")
    lines += ["", version.closing]
    for signatory in version.signatories.all():
        lines.append(f"— {signatory.name}" + (f", {signatory.title}" if signatory.title else ""))
    return lines


def version_diff(previous: LetterVersion | None, version: LetterVersion) -> list[tuple[str, str]]:
    """(kind, line) pairs of a unified diff; kind is "add", "remove", "context" or "hunk"."""
    if previous is None:
        return []
    rows: list[tuple[str, str]] = []
    diff = difflib.unified_diff(version_text(previous), version_text(version), lineterm="", n=2)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(("hunk", line))
        elif line.startswith("+"):
            rows.append(("add", line[1:]))
        elif line.startswith("-"):
            rows.append(("remove", line[1:]))
        else:
            rows.append(("context", line[1:]))
    return rows


def history(letter: Letter) -> list[tuple[LetterVersion, list[tuple[str, str]]]]:
    """Every version, newest first, each with its diff against the one before."""
    versions = list(
        letter.versions.select_related("created_by", "reviewed_by").prefetch_related("signatories")
    )
    pairs = [
        (version, version_diff(versions[i - 1] if i else None, version))
        for i, version in enumerate(versions)
    ]
    return list(reversed(pairs))


# --- supporting documents ---------------------------------------------------------------------


def document_in_packets(document: SupportingDocument) -> bool:
    """Whether a packet build printed a letter that carries this document."""
    return LetterVersion.objects.filter(
        letter__attachments=document, packet_builds__isnull=False
    ).exists()


def delete_document(document: SupportingDocument) -> None:
    """Delete a document no packet used; a used one stays, as the packets' record."""
    if document_in_packets(document):
        raise ValidationError(
            _("“%(title)s” went out in delivery packets and cannot be deleted.")
            % {"title": document.title}
        )
    stored = document.file.name
    storage = document.file.storage
    document.delete()
    if stored and not SupportingDocument.objects.filter(file=stored).exists():
        transaction.on_commit(lambda: storage.delete(stored))


def letterheads_of(organisation_id: int) -> QuerySet[Letterhead]:
    return Letterhead.objects.filter(organisation_id=organisation_id).order_by("name")

"""The team's letter pages: sample letters, forks, the editor, review, letterheads, documents.

Every page needs a login (anonymous visitors go to the team login page).
A campaign's letter pages are for its organisers and partner editors; any
other account gets 403. A letter, version or letterhead the user may not
see does not exist for them (404), so the pages do not reveal another
organisation's work. The rules themselves are in services.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.letters import services
from safepassage.letters.forms import (
    DesignedLetterheadForm,
    DocumentForm,
    ForkForm,
    LetterForm,
    ReviewForm,
    SampleLetterForm,
    UploadedLetterheadForm,
    signatory_formset,
)
from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument

LOGIN = "accounts:login"
team_login_required = login_required(login_url=LOGIN)


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not services.may_use_letters(request.user, campaign):
        raise PermissionDenied
    return campaign


def _organiser_campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = _campaign(request, slug)
    if not is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


def _letter(request: HttpRequest, campaign: Campaign, pk: int, *, edit: bool = False) -> Letter:
    letter = (
        services.letters_for(request.user, campaign)
        .select_related("campaign", "organisation", "approved_version", "letterhead")
        .filter(pk=pk)
        .first()
    )
    if letter is None:
        raise Http404
    if edit and not services.can_edit_letter(request.user, letter):
        raise PermissionDenied  # a sample letter, seen by a partner editor
    return letter


def _version(letter: Letter, number: int) -> LetterVersion:
    return get_object_or_404(
        LetterVersion.objects.select_related("letter"), letter=letter, number=number
    )


def _organisation(request: HttpRequest, campaign: Campaign, pk: int) -> Organisation:
    organisation = services.organisations_for(request.user, campaign).filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


def _context(request: HttpRequest, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    return {"campaign": campaign, "organiser": is_organiser(request.user, campaign), **extra}


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slugify(filename) or "letter"}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- letters ---------------------------------------------------------------------------------


@never_cache
@team_login_required
@require_GET
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    user = request.user
    letters = list(
        services.letters_for(user, the_campaign)
        .select_related("organisation", "approved_version", "forked_from__letter")
        .prefetch_related("versions")
        .order_by("organisation__name", "language")
    )
    organisations = list(services.organisations_for(user, the_campaign))
    taken = {(letter.organisation_id, letter.language) for letter in letters}
    rows: list[dict[str, Any]] = []
    for letter in letters:
        versions = sorted(letter.versions.all(), key=lambda v: v.number)
        rows.append(
            {
                "letter": letter,
                "latest": versions[-1] if versions else None,
                "editable": services.can_edit_letter(user, letter),
            }
        )
    samples = []
    for row in rows:
        sample: Letter = row["letter"]
        if not sample.is_sample:
            continue
        free = [o for o in organisations if (o.pk, sample.language) not in taken]
        form = ForkForm(organisations=Organisation.objects.filter(pk__in=[o.pk for o in free]))
        samples.append({**row, "fork_form": form if free else None})
    context = _context(
        request,
        the_campaign,
        samples=samples,
        organisation_rows=[row for row in rows if not row["letter"].is_sample],
        organisations=organisations,
    )
    return render(request, "letters/index.html", context)


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def sample_new(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organiser_campaign(request, campaign)
    form = SampleLetterForm(request.POST or None, initial={"language": get_language() or "en"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = services.create_sample_letter(
                the_campaign,
                language=data["language"],
                subject=data["subject"],
                body=data["body"],
                closing=data["closing"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The sample letter is saved as version 1."))
            return redirect("letters:edit", campaign=the_campaign.slug, pk=letter.pk)
    context = _context(request, the_campaign, form=form, merge_fields=_merge_fields())
    return render(request, "letters/sample_new.html", context, status=400 if form.errors else 200)


@never_cache
@team_login_required
@require_POST
def fork(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    sample = _letter(request, the_campaign, pk)
    if not sample.is_sample:
        raise Http404
    form = ForkForm(
        request.POST, organisations=services.organisations_for(request.user, the_campaign)
    )
    if not form.is_valid():
        messages.error(request, _("Choose one of your organisations."))
        return redirect("letters:index", campaign=the_campaign.slug)
    try:
        letter = services.fork(sample, form.cleaned_data["organisation"], user=request.user)
    except (ValidationError, IntegrityError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else ""
        messages.error(request, text or _("This organisation already has a letter."))
        return redirect("letters:index", campaign=the_campaign.slug)
    messages.success(
        request,
        _("Your letter starts from the sample letter. Change it, then submit it for approval."),
    )
    return redirect("letters:edit", campaign=the_campaign.slug, pk=letter.pk)


def _merge_fields() -> list[tuple[str, str]]:
    from safepassage.letters.merge import MERGE_FIELDS

    return [(name, str(description)) for name, description in MERGE_FIELDS.items()]


def _initial(letter: Letter, latest: LetterVersion | None) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "letterhead": letter.letterhead_id,
        "attachments": list(letter.attachments.values_list("pk", flat=True)),
    }
    if latest is not None:
        initial.update(subject=latest.subject, body=latest.body, closing=latest.closing)
    return initial


def _save_letter_settings(letter: Letter, form: LetterForm) -> bool:
    """Letterhead and attachments belong to the letter, not to a version."""
    changed = False
    if "letterhead" in form.fields:
        letterhead = form.cleaned_data.get("letterhead")
        if (letterhead.pk if letterhead else None) != letter.letterhead_id:
            letter.letterhead = letterhead
            letter.save(update_fields=["letterhead"])
            changed = True
    wanted = {document.pk for document in form.cleaned_data.get("attachments") or []}
    if wanted != set(letter.attachments.values_list("pk", flat=True)):
        letter.attachments.set(list(wanted))
        changed = True
    return changed


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    letter = _letter(request, the_campaign, pk, edit=True)
    latest = letter.latest_version()
    if request.method == "POST":
        form = LetterForm(request.POST, letter=letter)
        formset = signatory_formset(latest, request.POST, request.FILES)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                version = services.save_version(
                    letter,
                    subject=data["subject"],
                    body=data["body"],
                    closing=data["closing"],
                    signatories=formset.signatories(),
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                settings_changed = _save_letter_settings(letter, form)
                if version is not None:
                    messages.success(
                        request,
                        _("Saved as version %(number)d (draft).") % {"number": version.number},
                    )
                elif settings_changed:
                    messages.success(
                        request,
                        _("Letterhead and attachments saved. The text did not change."),
                    )
                else:
                    messages.info(request, _("Nothing changed, so no new version was made."))
                return redirect("letters:edit", campaign=the_campaign.slug, pk=letter.pk)
        status = 400
    else:
        form = LetterForm(initial=_initial(letter, latest), letter=letter)
        formset = signatory_formset(latest)
        status = 200
    context = _context(
        request,
        the_campaign,
        letter=letter,
        latest=latest,
        form=form,
        formset=formset,
        merge_fields=_merge_fields(),
        can_review=services.can_review(request.user, letter),
        review_form=ReviewForm(),
    )
    return render(request, "letters/edit.html", context, status=status)


@never_cache
@team_login_required
@require_GET
def history(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    letter = _letter(request, the_campaign, pk)
    context = _context(
        request,
        the_campaign,
        letter=letter,
        versions=services.history(letter),
        editable=services.can_edit_letter(request.user, letter),
        can_review=services.can_review(request.user, letter),
        review_form=ReviewForm(),
    )
    return render(request, "letters/history.html", context)


@never_cache
@team_login_required
@require_POST
def submit(request: HttpRequest, campaign: str, pk: int, number: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    letter = _letter(request, the_campaign, pk, edit=True)
    version = _version(letter, number)
    try:
        services.submit(version, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Version %(number)d is waiting for an organiser's approval.") % {"number": number},
        )
    return redirect("letters:edit", campaign=the_campaign.slug, pk=letter.pk)


@never_cache
@team_login_required
@require_POST
def review(request: HttpRequest, campaign: str, pk: int, number: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    letter = _letter(request, the_campaign, pk)
    if not services.can_review(request.user, letter):
        raise PermissionDenied
    version = _version(letter, number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("letters:history", campaign=the_campaign.slug, pk=letter.pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            services.approve(version, user=request.user)
            text = _("Version %(number)d is approved; it goes into the packets.")
        else:
            services.request_changes(version, user=request.user, note=form.cleaned_data["note"])
            text = _("Version %(number)d is sent back with your note.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, text % {"number": number})
    return redirect("letters:history", campaign=the_campaign.slug, pk=letter.pk)


@never_cache
@team_login_required
@require_GET
def preview(request: HttpRequest, campaign: str, pk: int, number: int) -> HttpResponse:
    from safepassage.letters.merge import sample_context
    from safepassage.letters.rendering import render_letter_pdf

    the_campaign = _campaign(request, campaign)
    letter = _letter(request, the_campaign, pk)
    version = _version(letter, number)
    pdf = render_letter_pdf(version, sample_context(letter))
    who = letter.organisation.slug if letter.organisation else "sample"
    return _pdf(pdf, f"{the_campaign.slug}-{who}-{letter.language}-v{number}")


# --- letterheads ------------------------------------------------------------------------------


@never_cache
@team_login_required
@require_GET
def letterheads(request: HttpRequest, campaign: str, organisation: int) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    context = _context(
        request,
        the_campaign,
        organisation=the_organisation,
        letterheads=list(services.letterheads_of(the_organisation.pk)),
    )
    return render(request, "letters/letterheads.html", context)


_LETTERHEAD_FORMS: dict[str, type[DesignedLetterheadForm] | type[UploadedLetterheadForm]] = {
    Letterhead.Kind.DESIGNED: DesignedLetterheadForm,
    Letterhead.Kind.UPLOADED: UploadedLetterheadForm,
}


def _letterhead_page(
    request: HttpRequest, campaign: Campaign, organisation: Organisation, letterhead: Letterhead
) -> HttpResponse:
    form_class = _LETTERHEAD_FORMS[letterhead.kind]
    form = form_class(request.POST or None, request.FILES or None, instance=letterhead)
    if request.method == "POST" and form.is_valid():
        try:
            saved = form.save()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The letterhead “%(name)s” is saved.") % {"name": saved.name}
            )
            return redirect(
                "letters:letterheads", campaign=campaign.slug, organisation=organisation.pk
            )
    context = _context(
        request, campaign, organisation=organisation, letterhead=letterhead, form=form
    )
    status = 400 if form.errors else 200
    return render(request, "letters/letterhead_form.html", context, status=status)


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def letterhead_new(
    request: HttpRequest, campaign: str, organisation: int, kind: str
) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    if kind not in Letterhead.Kind.values:
        raise Http404
    letterhead = Letterhead(organisation=the_organisation, kind=kind)
    return _letterhead_page(request, the_campaign, the_organisation, letterhead)


def _letterhead(organisation: Organisation, pk: int) -> Letterhead:
    return get_object_or_404(Letterhead, organisation=organisation, pk=pk)


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def letterhead_edit(
    request: HttpRequest, campaign: str, organisation: int, pk: int
) -> HttpResponse:
    the_campaign = _campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    letterhead = _letterhead(the_organisation, pk)
    return _letterhead_page(request, the_campaign, the_organisation, letterhead)


@never_cache
@team_login_required
@require_GET
def letterhead_preview(
    request: HttpRequest, campaign: str, organisation: int, pk: int
) -> HttpResponse:
    from safepassage.letters.rendering import render_letterhead_preview

    the_campaign = _campaign(request, campaign)
    the_organisation = _organisation(request, the_campaign, organisation)
    letterhead = _letterhead(the_organisation, pk)
    language = request.GET.get("language", "")
    if language not in {code for code, _name in _languages()}:
        language = get_language() or "en"
    pdf = render_letterhead_preview(letterhead, language=language)
    return _pdf(pdf, f"letterhead-{the_organisation.slug}-{letterhead.pk}")


def _languages() -> list[tuple[str, str]]:
    from django.conf import settings

    return [(code, str(name)) for code, name in settings.LANGUAGES]


# --- supporting documents -----------------------------------------------------------------------


@never_cache
@team_login_required
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = _organiser_campaign(request, campaign)
    form = DocumentForm(request.POST or None, request.FILES or None, campaign=the_campaign)
    if request.method == "POST" and form.is_valid():
        from safepassage.letters.documents import store_supporting_document

        data = form.cleaned_data
        try:
            document = store_supporting_document(
                the_campaign,
                title=data["title"].strip(),
                language=data["language"],
                file=data["file"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if document.public != data["public"]:
                SupportingDocument.objects.filter(pk=document.pk).update(public=data["public"])
            messages.success(request, _("“%(title)s” is uploaded.") % {"title": document.title})
            return redirect("letters:documents", campaign=the_campaign.slug)
    rows = [
        (document, services.document_in_packets(document), _size(document))
        for document in the_campaign.supporting_documents.select_related("uploaded_by")
    ]
    context = _context(request, the_campaign, form=form, rows=rows)
    return render(request, "letters/documents.html", context, status=400 if form.errors else 200)


def _size(document: SupportingDocument) -> int | None:
    try:
        return int(document.file.size)
    except (OSError, ValueError):
        return None


def _document(campaign: Campaign, pk: int) -> SupportingDocument:
    return get_object_or_404(SupportingDocument, campaign=campaign, pk=pk)


@never_cache
@team_login_required
@require_POST
def document_public(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _organiser_campaign(request, campaign)
    document = _document(the_campaign, pk)
    public = request.POST.get("public") == "1"
    SupportingDocument.objects.filter(pk=document.pk).update(public=public)
    if public:
        text = _("“%(title)s” is shown on the campaign page.")
    else:
        text = _("“%(title)s” is no longer shown on the campaign page.")
    messages.success(request, text % {"title": document.title})
    return redirect("letters:documents", campaign=the_campaign.slug)


@never_cache
@team_login_required
@require_POST
def document_delete(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = _organiser_campaign(request, campaign)
    document = _document(the_campaign, pk)
    try:
        services.delete_document(document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” is deleted.") % {"title": document.title})
    return redirect("letters:documents", campaign=the_campaign.slug)

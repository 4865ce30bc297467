"""The team's letter pages: sample letters, forks, the editor, review.

A letter or version the user may not see does not exist for them (404), so
the pages do not reveal another organisation's work. Who may open the pages
at all is in views/common.py; letterheads and supporting documents have
their own pages (views/letterheads.py, views/documents.py). The rules
themselves are in services.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safepassage.campaigns.models import Campaign, Organisation
from safepassage.letters import services
from safepassage.letters.forms import (
    ForkForm,
    LetterForm,
    ReviewForm,
    SampleLetterForm,
    signatory_formset,
)
from safepassage.letters.merge import MERGE_FIELDS, sample_context
from safepassage.letters.models import Letter, LetterVersion
from safepassage.letters.rendering import render_letter_pdf
from safepassage.letters.views.common import (
    letters_campaign,
    organiser_campaign,
    page_context,
    pdf_response,
    team_login_required,
)


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


@never_cache
@team_login_required
@require_GET
def index(request: HttpRequest, campaign: str) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
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
    context = page_context(
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
    the_campaign = organiser_campaign(request, campaign)
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
    context = page_context(request, the_campaign, form=form, merge_fields=_merge_fields())
    return render(request, "letters/sample_new.html", context, status=400 if form.errors else 200)


@never_cache
@team_login_required
@require_POST
def fork(request: HttpRequest, campaign: str, pk: int) -> HttpResponse:
    the_campaign = letters_campaign(request, campaign)
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
    the_campaign = letters_campaign(request, campaign)
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
    context = page_context(
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
    the_campaign = letters_campaign(request, campaign)
    letter = _letter(request, the_campaign, pk)
    context = page_context(
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
    the_campaign = letters_campaign(request, campaign)
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
    the_campaign = letters_campaign(request, campaign)
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
    the_campaign = letters_campaign(request, campaign)
    letter = _letter(request, the_campaign, pk)
    version = _version(letter, number)
    pdf = render_letter_pdf(version, sample_context(letter))
    who = letter.organisation.slug if letter.organisation else "sample"
    return pdf_response(pdf, f"{the_campaign.slug}-{who}-{letter.language}-v{number}")

"""The personal letter tool's page: edit the sample letter, get a PDF or an e-mail.

One page: a small GET form to choose the mission (it starts at the signer's
own and searches the others by city, country or place; the sample letter is
filled in for the one chosen), and the letter's form with two buttons, PDF
and e-mail.
It works without JavaScript. Nothing the signer types is stored
or logged: the text is only in the request and in the answer to it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from safepassage.directory.models import Mission
from safepassage.letters import personal, personal_sample
from safepassage.lib import geo


def _grouped_choices(missions: list[Mission], language: str) -> list[tuple[str, Any]]:
    """Missions grouped by host country, countries in alphabetical order of their names."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for mission in missions:
        country = geo.country_name(mission.host_country, language)
        groups.setdefault(country, []).append((str(mission.pk), mission.name))
    return [(country, sorted(groups[country], key=lambda c: c[1])) for country in sorted(groups)]


def _check_fields(value: str) -> str:
    unknown = personal.unknown_in(value)
    if unknown:
        raise forms.ValidationError(
            ngettext(
                "This merge field does not exist: %(fields)s. Correct or remove it.",
                "These merge fields do not exist: %(fields)s. Correct or remove them.",
                len(unknown),
            )
            % {"fields": ", ".join(unknown)}
        )
    return value


class MissionForm(forms.Form):
    """Which mission to write to (GET): the signer's own unless they search and pick another."""

    q = forms.CharField(
        label=_("Search for another embassy or consulate"),
        max_length=100,
        required=False,
        help_text=_("A city, a country or your place, such as “Waterloo, Ontario” or “서울”."),
    )
    mission = forms.TypedChoiceField(
        label=_("Send the letter to"),
        coerce=int,
        help_text=_(
            "To write to another embassy or consulate, choose it and press “Use this mission”: "
            "the sample letter is then filled in for it again (changes you made are not kept)."
        ),
    )

    def __init__(self, *args: Any, missions: list[Mission], language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["mission"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = _grouped_choices(missions, language)


class PersonalLetterForm(forms.Form):
    """The letter itself (POST); the mission travels along as a hidden field."""

    mission = forms.TypedChoiceField(coerce=int, required=False, widget=forms.HiddenInput)
    signer_name = forms.CharField(label=_("Your name"), max_length=personal.MAX_NAME)
    sender_address = forms.CharField(
        label=_("Your address (optional)"),
        max_length=personal.MAX_ADDRESS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed above the letter and added under your name in the e-mail."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=personal.MAX_SUBJECT, required=False)
    body = forms.CharField(
        label=_("Your letter"),
        max_length=personal.MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_("Use your own words and be respectful. **Bold** and numbered lists work."),
        error_messages={"required": _("Please write your letter.")},
    )
    closing = forms.CharField(label=_("Closing"), max_length=personal.MAX_CLOSING, required=False)

    def __init__(self, *args: Any, missions: list[Mission], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.missions = {mission.pk: mission for mission in missions}
        field = self.fields["mission"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(str(mission.pk), mission.name) for mission in missions]

    def clean_subject(self) -> str:
        return _check_fields(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _check_fields(self.cleaned_data["body"])

    def clean_closing(self) -> str:
        return _check_fields(self.cleaned_data["closing"])

    def chosen_mission(self) -> Mission | None:
        """The mission the letter is for, once the form is valid."""
        pk = self.cleaned_data.get("mission")
        return self.missions.get(pk) if isinstance(pk, int) else None

    def draft(self, language: str) -> personal.Draft:
        data = self.cleaned_data
        return personal.Draft(
            subject=data["subject"],
            body=data["body"],
            closing=data["closing"],
            signer_name=data["signer_name"],
            sender_address=data["sender_address"],
            language=language,
        )


def _initial(draft: personal.Draft, mission: Mission | None) -> dict[str, Any]:
    return {
        "mission": mission.pk if mission else "",
        "signer_name": draft.signer_name,
        "sender_address": draft.sender_address,
        "subject": draft.subject,
        "body": draft.body,
        "closing": draft.closing,
    }


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, signature_uuid: uuid.UUID, token: str) -> HttpResponse:
    """GET: the sample letter for the mission chosen. POST: the PDF, or the e-mail link."""
    signature = personal.signature_from_link(signature_uuid, token)
    if signature is None:
        return render(request, "signatures/link_invalid.html", status=404)
    petition = signature.petition
    language = personal_sample.letter_language(signature)
    today = timezone.localdate()
    missions = list(personal.missions_for(petition.campaign))
    routed = personal.nearest_mission(signature)
    status = 200
    if request.method == "POST":
        form = PersonalLetterForm(request.POST, missions=missions)
        valid = form.is_valid()
        mission = form.chosen_mission() or _mission_of(request.POST, missions)
        draft = None
        if valid:
            context = personal.merge_context(petition, language, mission, today)
            if request.POST.get("action") != "email":
                pdf_draft = personal.filled(form.draft(language), context, markdown=True)
                return _pdf_response(personal.render_pdf(pdf_draft, mission, today), mission)
            draft = personal.filled(form.draft(language), context, markdown=False)
        else:
            status = 400
    else:
        mission = _mission_of(request.GET, missions) or routed
        draft = personal.initial_draft(signature, mission)
        form = PersonalLetterForm(initial=_initial(draft, mission), missions=missions)
    page_language = getattr(request, "LANGUAGE_CODE", None) or language
    query = " ".join(str(request.GET.get("q", "")).split())[:100]
    offered, matched = personal.picker_missions(
        missions,
        chosen=mission,
        routed=routed,
        query=query,
        country=signature.country,
        language=page_language,
    )
    chooser = MissionForm(
        initial={"mission": mission.pk if mission else None, "q": query},
        missions=offered,
        language=page_language,
    )
    page: dict[str, Any] = {
        "petition": petition,
        "campaign": petition.campaign,
        "form": form,
        "chooser": chooser,
        "mission": mission,
        "routed": routed,
        "query": query,
        "matched": matched,
        "recipient": mission.address_block().splitlines() if mission else [],
        "mail_prepared": request.method == "POST" and draft is not None,
        "max_body": personal.MAX_BODY,
        **_mail(draft, mission),
    }
    return render(request, "letters/personal/edit.html", page, status=status)


def _mission_of(data: Any, missions: list[Mission]) -> Mission | None:
    """The mission a request names, if it is one the signer may choose."""
    try:
        pk = int(data.get("mission") or 0)
    except ValueError:
        return None
    return next((mission for mission in missions if mission.pk == pk), None)


def _mail(draft: personal.Draft | None, mission: Mission | None) -> dict[str, Any]:
    if draft is None or mission is None or not mission.email:
        return {"mail": None, "mail_text": ""}
    text = personal.mail_text(draft)
    return {"mail": personal.mailto_link(mission.email, draft.subject, text), "mail_text": text}


def _pdf_response(pdf: bytes, mission: Mission | None) -> HttpResponse:
    disposition = content_disposition_header(
        as_attachment=True, filename=personal.pdf_filename(mission)
    )
    assert disposition is not None  # only None for inline without a file name
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = disposition
    return response

"""The forms of the team's directory pages: a proposal, and an organiser's decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from safepassage.directory.proposals import Field, Proposal
from safepassage.directory.verification import check_value
from safepassage.lib import uploads

TEXTAREAS = {Field.POSTAL_ADDRESS, Field.DELIVERY_HOURS, Field.ACCESSIBILITY, Field.CLOSED}


class ProposalForm(forms.Form):
    evidence = forms.ChoiceField(
        label=_("Evidence"), choices=Proposal.Evidence.choices, widget=forms.RadioSelect
    )
    source_url = forms.URLField(
        label=_("Source URL"), required=False, max_length=500, assume_scheme="https"
    )
    source_date = forms.DateField(
        label=_("Date of the source, or the day you saw it"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    photo = forms.FileField(label=_("Photo"), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in Field:
            widget = forms.Textarea(attrs={"rows": 3}) if field in TEXTAREAS else None
            self.fields[f"value_{field.value}"] = forms.CharField(
                label=field.label, required=False, widget=widget
            )
        self.fields[f"value_{Field.COORDINATES}"].help_text = _(
            "latitude, longitude in decimal degrees, e.g. 37.5665, 126.9780"
        )
        self.fields[f"value_{Field.CLOSED}"].help_text = _(
            "Only if the mission has closed or moved: what you know (new address, date)."
        )
        self.clean_photo_file: uploads.CleanFile | None = None

    def value_fields(self) -> list[Any]:
        return [self[f"value_{field.value}"] for field in Field]

    def values(self) -> dict[str, str]:
        return {field.value: self.cleaned_data.get(f"value_{field.value}", "") for field in Field}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in Field:
            name = f"value_{field.value}"
            if data.get(name, "").strip():
                try:
                    data[name] = check_value(field.value, data[name])
                except ValidationError as error:
                    self.add_error(name, error)
        if not any(data.get(f"value_{f.value}", "").strip() for f in Field):
            raise ValidationError(_("Propose at least one value."))
        evidence = data.get("evidence")
        if evidence == Proposal.Evidence.URL and not (
            data.get("source_url") and data.get("source_date")
        ):
            raise ValidationError(_("Give the source URL and its date."))
        if evidence == Proposal.Evidence.SEEN and not data.get("source_date"):
            raise ValidationError(_("Give the day you saw it."))
        upload = data.get("photo")
        if evidence == Proposal.Evidence.PHOTO and not upload:
            raise ValidationError(_("Upload the photo."))
        if upload:  # a photo may back any evidence
            try:
                self.clean_photo_file = uploads.clean_upload(upload, allow_pdf=False)
            except ValidationError as error:
                self.add_error("photo", error)
        return data


class DecisionForm(forms.Form):
    ACTIONS = (
        ("decide", _("Accept the ticked fields, reject the others")),
        ("ask", _("Ask for more")),
    )

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput, initial="decide")
    accept = forms.MultipleChoiceField(
        label=_("Accept"),
        choices=Field.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Reason (for rejected fields) or question"), required=False, widget=forms.Textarea
    )


class CorrectionsExportForm(forms.Form):
    """Which accepted corrections to export: since a date, or all of them."""

    since = forms.DateField(
        label=_("Accepted since"),
        required=False,
        help_text=_("Leave empty for every accepted correction."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

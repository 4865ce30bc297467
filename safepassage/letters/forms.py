"""Forms of the letter pages: the editor, signatories, letterheads, documents, review.

The forms check what the user typed (merge fields, PDFs, images); what may
be done with it, and by whom, is decided in services.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign, Organisation
from safepassage.letters import services
from safepassage.letters.models import Letterhead, LetterVersion, Signatory, SupportingDocument
from safepassage.lib.uploads import clean_image, read_upload

MAX_SIGNATORIES = 40


def _language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def _check_fields(value: str) -> str:
    services.check_merge_fields(value)
    return value


class VersionFields(forms.Form):
    """The text of a version: subject, body (Markdown with merge fields) and closing."""

    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"}),
        strip=False,
        help_text=_("Markdown: a blank line starts a new paragraph, *italic*, **bold**."),
    )
    closing = forms.CharField(label=_("Closing"), max_length=200, required=False)

    def clean_subject(self) -> str:
        return _check_fields(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].replace("\r\n", "\n")
        if not body.strip():
            raise ValidationError(_("The letter needs some text."))
        return _check_fields(body)

    def clean_closing(self) -> str:
        return _check_fields(self.cleaned_data["closing"])


class SampleLetterForm(VersionFields):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)

    field_order = ["language", "subject", "body", "closing"]


class LetterForm(VersionFields):
    """The editor: a new version's text, plus the letter's letterhead and attachments."""

    letterhead = forms.ModelChoiceField(
        label=_("Letterhead"),
        queryset=Letterhead.objects.none(),
        required=False,
        empty_label=_("plain paper (no letterhead)"),
    )
    attachments = forms.ModelMultipleChoiceField(
        label=_("Attachments"),
        queryset=SupportingDocument.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Supporting documents printed after the letter."),
    )

    def __init__(self, *args: Any, letter: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        documents = letter.campaign.supporting_documents.order_by("title", "language")
        self.fields["attachments"].queryset = documents  # type: ignore[attr-defined]
        if letter.organisation_id is None:
            # A sample letter is printed by nobody; it has no letterhead.
            del self.fields["letterhead"]
        else:
            heads = services.letterheads_of(letter.organisation_id)
            self.fields["letterhead"].queryset = heads  # type: ignore[attr-defined]


class SignatoryForm(forms.Form):
    """One signatory row; an empty row is ignored."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    signature_image = forms.FileField(
        label=_("Scanned signature (JPEG, PNG or WebP)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_image = forms.BooleanField(label=_("Remove the scanned signature"), required=False)
    # The signatory of the previous version this row continues, so its scan is kept.
    previous = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, previous: dict[int, Signatory] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.previous_signatories = previous or {}

    def kept_scan(self) -> bool:
        """Whether this row continues a signatory whose scanned signature is on file."""
        previous = self.previous_signatories.get(self.initial.get("previous") or 0)
        return previous is not None and bool(previous.signature_image)

    def clean_signature_image(self) -> Any:
        upload = self.cleaned_data.get("signature_image")
        if not isinstance(upload, UploadedFile):
            return None
        # Re-encoded with nothing but its pixels: a scan's metadata stays behind.
        cleaned = clean_image(read_upload(upload, limit=5 * 1024 * 1024))
        return cleaned.as_file()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("signature_image") and not data.get("name", "").strip():
            self.add_error("name", _("Whose signature is it? Give the name."))
        previous = data.get("previous")
        if previous is not None and previous not in self.previous_signatories:
            data["previous"] = None
        return data

    def signatory(self) -> services.SignatoryData | None:
        data = self.cleaned_data
        name = data.get("name", "").strip()
        if not name or data.get("DELETE"):
            return None
        image: Any = data.get("signature_image") or ""
        if not image and not data.get("remove_image"):
            kept = self.previous_signatories.get(data.get("previous") or 0)
            image = kept.signature_image.name if kept is not None else ""
        return services.SignatoryData(name=name, title=data.get("title", "").strip(), image=image)


class BaseSignatoryFormSet(forms.BaseFormSet[SignatoryForm]):
    def signatories(self) -> list[services.SignatoryData]:
        rows = [form.signatory() for form in self.forms]
        return [row for row in rows if row is not None]


SignatoryFormSet = forms.formset_factory(
    SignatoryForm,
    formset=BaseSignatoryFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_SIGNATORIES,
    validate_max=True,
)


def signatory_formset(
    version: LetterVersion | None, data: Any = None, files: Any = None
) -> BaseSignatoryFormSet:
    """The signatory rows of the editor, started from the version's signatories."""
    existing = list(version.signatories.all()) if version is not None else []
    previous = {s.pk: s for s in existing}
    initial = [{"name": s.name, "title": s.title, "previous": s.pk} for s in existing]
    formset = SignatoryFormSet(
        data, files, initial=initial, prefix="signatories", form_kwargs={"previous": previous}
    )
    assert isinstance(formset, BaseSignatoryFormSet)
    return formset


class ForkForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Request changes"))]
    )
    note = forms.CharField(
        label=_("What should change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", _("Please say what should change."))
        return data


# --- letterheads ----------------------------------------------------------------------------


def _checked_pdf(upload: Any) -> Any:
    """A letterhead PDF of one or two pages, stored under a random name."""
    from safepassage.letters.documents import validate_pdf_upload

    if not isinstance(upload, UploadedFile):
        return upload
    _sha256, pages = validate_pdf_upload(upload)
    if not 1 <= pages <= 2:
        raise ValidationError(
            _("A letterhead PDF has one or two pages; this one has %(pages)d."),
            params={"pages": pages},
        )
    upload.seek(0)
    upload.name = f"{uuid.uuid4().hex}.pdf"
    return upload


class _LetterheadForm(forms.ModelForm[Letterhead]):
    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        taken = Letterhead.objects.filter(
            organisation_id=self.instance.organisation_id, name=name
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("This organisation already has a letterhead of this name."))
        return name


class DesignedLetterheadForm(_LetterheadForm):
    accent_colour = forms.RegexField(
        label=_("Accent colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": _("Give the colour as # and six hexadecimal digits.")},
    )

    class Meta:
        model = Letterhead
        fields = ["name", "show_logo", "footer_lines", "accent_colour"]
        widgets = {"footer_lines": forms.Textarea(attrs={"rows": 6})}


class UploadedLetterheadForm(_LetterheadForm):
    first_page = forms.FileField(
        label=_("First page (PDF)"),
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
        help_text=_("The background of the letter's first page: one page, A4 or Letter."),
    )
    later_pages = forms.FileField(
        label=_("Later pages (PDF, optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
    )
    remove_later_pages = forms.BooleanField(
        label=_("Use plain paper for the later pages"), required=False
    )

    class Meta:
        model = Letterhead
        fields = ["name", "first_page", "later_pages"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.first_page:
            self.fields["first_page"].required = False
            self.fields["first_page"].help_text = _("Leave empty to keep the current file.")
        if not (self.instance.pk and self.instance.later_pages):
            del self.fields["remove_later_pages"]

    def clean_first_page(self) -> Any:
        upload = self.cleaned_data.get("first_page")
        if not isinstance(upload, UploadedFile):
            return self.instance.first_page
        return _checked_pdf(upload)

    def clean_later_pages(self) -> Any:
        upload = self.cleaned_data.get("later_pages")
        if not isinstance(upload, UploadedFile):
            return self.instance.later_pages
        return _checked_pdf(upload)

    def save(self, commit: bool = True) -> Letterhead:
        letterhead = super().save(commit=False)
        if self.cleaned_data.get("remove_later_pages") and not isinstance(
            self.cleaned_data.get("later_pages"), UploadedFile
        ):
            letterhead.later_pages = ""  # type: ignore[assignment]
        if commit:
            letterhead.save()
        return letterhead


# --- supporting documents ---------------------------------------------------------------------


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    file = forms.FileField(
        label=_("File (PDF)"), widget=forms.FileInput(attrs={"accept": "application/pdf"})
    )
    public = forms.BooleanField(label=_("Show on the campaign page"), required=False, initial=True)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        title, language = (data.get("title") or "").strip(), data.get("language")
        existing = SupportingDocument.objects.filter(
            campaign=self.campaign, title=title, language=language
        ).first()
        # Uploading the same title and language replaces the file, unless
        # packets went out with it: those must stay as they were delivered.
        if existing is not None and services.document_in_packets(existing):
            self.add_error(
                "title",
                _(
                    "A document of this title and language went out in delivery packets "
                    "and cannot be replaced; give the new one another title."
                ),
            )
        return data

from __future__ import annotations

import copy
import unicodedata
from functools import lru_cache, partial
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from safepassage.lib import geo
from safepassage.lib.emails import CanonicalEmail, InvalidEmail, canonicalize
from safepassage.signatures.consent import publish_choices
from safepassage.signatures.models import Signature


def _clean_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip())
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in value):
        raise ValidationError(_("Please remove invisible or control characters."))
    return " ".join(value.split())


class EmailField(forms.CharField):
    widget = forms.EmailInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "autocomplete": "email"}


def canonical_email(value: str) -> CanonicalEmail:
    """Validate an address and return its canonical form, with a specific error."""
    try:
        canonical = canonicalize(value)
    except InvalidEmail as exc:
        reason = str(exc).rstrip(".")
        raise ValidationError(
            _("This does not look like an e-mail address: %(reason)s."),
            params={"reason": reason[:1].lower() + reason[1:]},
        ) from None
    if canonical.address.isascii():
        try:
            validate_email(canonical.address)
        except ValidationError:
            raise ValidationError(_("This does not look like an e-mail address.")) from None
    return canonical


def _country_choices(language: str) -> list[tuple[str, str | Promise]]:
    return [("", _("Choose your country")), *geo.countries(language)]


@lru_cache(maxsize=64)
def _country_options_html(language: str) -> str:
    with translation.override(language):
        return "".join(
            format_html('<option value="{}">{}</option>', code, name)
            for code, name in _country_choices(language)
        )


class CountrySelect(forms.Select):
    """The country select, its ~250 options rendered once per language.

    Rendering them through Django's per-option widget templates took most of
    the signing page's time.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        options = _country_options_html(translation.get_language() or "en")
        code = str(value or "")
        if code in geo.country_codes():
            chosen = f'<option value="{code}">'
            options = options.replace(chosen, f'<option value="{code}" selected>', 1)
        else:
            options = options.replace('<option value="">', '<option value="" selected>', 1)
        final_attrs = self.build_attrs(self.attrs, attrs)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final_attrs),
            mark_safe(options),  # noqa: S308
        )


class CountryField(forms.ChoiceField):
    """A country select whose ~250 choices are only built when it is rendered.

    Validation asks the set of ISO codes directly: normalising the full list
    of choices on every submission costs more than the rest of the form.
    """

    def valid_value(self, value: str) -> bool:
        return value in geo.country_codes()


def _publish_choices() -> list[tuple[str, str]]:
    return list(publish_choices().items())


class PublishField(forms.ChoiceField):
    def valid_value(self, value: str) -> bool:
        # The keys, without building the translated labels and normalising them.
        return value in publish_choices()


def _text_input(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete})


class SignForm(forms.Form):
    """The signing form.

    Everything a valid submission needs is fixed on the class, so that
    building and validating it costs little (it runs for every signature);
    the region select is only built when the form is shown.
    """

    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=_text_input("given-name"),
        error_messages={"required": _("Please enter your first name.")},
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=_text_input("family-name"),
        error_messages={"required": _("Please enter your last name.")},
    )
    email = EmailField(
        label=_("E-mail address"),
        error_messages={
            "required": _("Please enter your e-mail address; we send you a link to confirm.")
        },
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=_text_input("address-level2"),
        error_messages={"required": _("Please enter your city or town.")},
    )
    country = CountryField(
        label=_("Country"),
        widget=CountrySelect(attrs={"autocomplete": "country"}),
        error_messages={"required": _("Please choose your country.")},
    )
    region = forms.CharField(
        label=_("State or province"),
        max_length=100,
        widget=_text_input("address-level1"),
        error_messages={"required": _("Please enter your state, province or region.")},
    )
    contact = forms.ChoiceField(
        label=_("How may we use your e-mail address?"),
        choices=Signature.Contact.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how we may use your e-mail address.")},
    )
    publish_name = PublishField(
        label=_("May we hand your name to the missions?"),
        choices=_publish_choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose whether your name may be handed over or only counted.")
        },
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.canonical: CanonicalEmail | None = None
        # A blank form prepares its fields for showing only when a field is asked for:
        # the signing page usually shows it from a cached fragment (signatures/fragments.py).
        self._display_pending = not self.is_bound

    def __getitem__(self, name: str) -> forms.BoundField:
        if self._display_pending and name in self.fields:
            self._display_pending = False
            self._show_region_choices()
        return super().__getitem__(name)

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors:  # the form is shown again
            self._show_region_choices()

    def _show_region_choices(self) -> None:
        # The fields are shared with every other instance until now (see below).
        self.fields = copy.deepcopy(dict(self.fields))
        self._bound_fields_cache: dict[str, Any] = {}  # bound to the shared fields until now
        country_field = self.fields["country"]
        assert isinstance(country_field, forms.ChoiceField)
        country_field.choices = partial(_country_choices, self.language)
        # Only a form that is shown needs the region list (a valid submission does not).
        country = self._country()
        regions = geo.subdivisions(country, self.language) if country else ()
        if regions:
            self.fields["region"].widget = forms.Select(
                choices=[("", _("Choose your state or province")), *regions],
                attrs={"autocomplete": "address-level1"},
            )

    def _country(self) -> str:
        raw = self.data.get("country") if self.is_bound else self.initial.get("country")
        code = str(raw or "").upper()
        return code if code in geo.country_codes() else ""

    def clean_first_name(self) -> str:
        return _clean_text(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _clean_text(self.cleaned_data["last_name"])

    def clean_city(self) -> str:
        return _clean_text(self.cleaned_data["city"])

    def clean_email(self) -> str:
        value: str = self.cleaned_data["email"].strip()
        self.canonical = canonical_email(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        country = cleaned.get("country")
        region = cleaned.get("region")
        if country and region:
            try:
                cleaned["region"] = self._match_region(country, _clean_text(region))
            except ValidationError as error:
                self.add_error("region", error)
                cleaned.pop("region", None)
        return cleaned

    def _match_region(self, country: str, region: str) -> str:
        if not geo.subdivisions(country, self.language):
            return region
        code = geo.find_subdivision(country, region, self.language)
        if code:
            return code
        raise ValidationError(
            _("Please choose your state or province from the list for %(country)s."),
            params={"country": geo.country_name(country, self.language)},
        )


class _SharedFields(dict[str, forms.Field]):
    """Form fields that a form instance does not copy: it copies them itself before changing one.

    Django deep-copies every field for every form instance, which was a
    tenth of a signing request; a valid submission only reads its fields.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


SignForm.base_fields = _SharedFields(SignForm.base_fields)


class ResendForm(forms.Form):
    email = EmailField(
        label=_("E-mail address you signed with"),
        error_messages={"required": _("Please enter the e-mail address you signed with.")},
    )

    def clean_email(self) -> str:
        value: str = self.cleaned_data["email"].strip()
        canonical_email(value)
        return value

"""The RSVP form, the list filters, the viewer's time zone, and the admin's event form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from safepassage.events import services
from safepassage.events.models import Event
from safepassage.lib.emails import CanonicalEmail
from safepassage.lib.geo import gazetteer
from safepassage.signatures.forms import EmailField, _clean_text, canonical_email

CONSENT_CHOICES = [
    ("only", _("Use my e-mail address only for this RSVP, then delete it")),
    ("contact", _("You may contact me about this event (my address is kept encrypted)")),
]


class RSVPForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Please enter your name.")},
    )
    email = EmailField(
        label=_("E-mail address"),
        error_messages={
            "required": _("Please enter your e-mail address; we send you a link to confirm.")
        },
    )
    people = forms.IntegerField(
        label=_("Number of people, you included"),
        min_value=1,
        max_value=services.MAX_PEOPLE,
        initial=1,
        error_messages={
            "required": _("Please say how many people are coming."),
            "min_value": _("At least one person, please."),
            "max_value": _("At most %(limit_value)s people in one RSVP, please."),
        },
    )
    consent = forms.ChoiceField(
        label=_("How may we use your e-mail address?"),
        choices=CONSENT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how we may use your e-mail address.")},
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.canonical: CanonicalEmail | None = None
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["people"].widget.attrs.update({"inputmode": "numeric"})

    def clean_name(self) -> str:
        value = _clean_text(self.cleaned_data["name"])
        if not value:
            raise ValidationError(_("Please enter your name."))
        return value

    def clean_email(self) -> str:
        value: str = self.cleaned_data["email"].strip()
        self.canonical = canonical_email(value)
        return value

    def clean_people(self) -> int:
        people: int = self.cleaned_data["people"]
        left = services.remaining_capacity(self.event)
        if left is not None and people > left:
            if left == 0:
                raise ValidationError(_("Sorry, this event is full."))
            raise ValidationError(
                _("Only %(left)s places are left."), params={"left": left}, code="capacity"
            )
        return people

    def request(self, language: str) -> services.RSVPRequest:
        assert self.canonical is not None
        data = self.cleaned_data
        return services.RSVPRequest(
            name=data["name"],
            raw_email=data["email"],
            canonical=self.canonical,
            people=data["people"],
            contact_ok=data["consent"] == "contact",
            language=language,
        )


class FilterForm(forms.Form):
    """The list's filters, sent as GET parameters (works without JavaScript)."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date = forms.ChoiceField(label=_("Date"), required=False)

    def __init__(self, *args: Any, dates: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", _("All kinds")), *Event.Kind.choices]
        date = self.fields["date"]
        assert isinstance(date, forms.ChoiceField)
        date.choices = [("", _("All dates"))] + [
            (day.isoformat(), _date_label(day)) for day in dates
        ]


def _date_label(day: dt.date) -> str:
    return dateformat.format(day, "l j F Y")


COMMON_ZONES = [
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Toronto", "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin",
    "Europe/Brussels", "Europe/Warsaw", "Europe/Kyiv", "Europe/Istanbul", "Africa/Johannesburg",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Shanghai", "Asia/Hong_Kong",
    "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
]  # fmt: skip


class TimeZoneForm(forms.Form):
    """ "Show the time in my zone": an IANA name, suggested from a list, checked on the server."""

    tz = forms.CharField(label=_("Your time zone"), max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tz"].widget.attrs.update(
            {"list": "time-zones", "placeholder": "Europe/Berlin", "autocomplete": "off"}
        )

    def clean_tz(self) -> str:
        value: str = self.cleaned_data["tz"].strip()
        if value and value not in services.time_zone_names():
            raise ValidationError(
                _("%(value)s is not a time zone we know; try a name like Europe/Berlin."),
                params={"value": value},
            )
        return value


# --- The admin's event form ------------------------------------------------------------


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time, naive: the event's own time zone gives it meaning."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def prepare_value(self, value: Any) -> Any:
        return value  # already local and naive: never shift it to the server's zone

    def to_python(self, value: Any) -> dt.datetime | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        with timezone.override(dt.UTC):  # parse without a zone shift, then drop the zone
            result = super().to_python(value)
        return result.replace(tzinfo=None) if result else None


class ZoneInput(forms.TextInput):
    """A text input for an IANA zone name, with common names suggested (a <datalist>)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**(attrs or {}), "list": "time-zones", "autocomplete": "off"})

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        options = format_html_join("", '<option value="{}">', ((zone,) for zone in COMMON_ZONES))
        datalist = format_html('<datalist id="time-zones">{}</datalist>', options)
        return format_html("{}{}", super().render(name, value, attrs, renderer), datalist)


class EventAdminForm(forms.ModelForm[Event]):
    """Start and end are entered as local times in the event's zone and stored in UTC."""

    starts_local = LocalDateTimeField(
        label=_("Starts (local time)"),
        help_text=_("In the event's time zone, e.g. 2026-09-24 20:00."),
    )
    ends_local = LocalDateTimeField(
        label=_("Ends (local time)"), required=False, help_text=_("Optional.")
    )

    class Meta:
        model = Event
        fields = [
            "campaign", "kind", "title", "description", "status", "time_zone", "venue",
            "address", "address_visibility", "city", "country", "latitude", "longitude",
            "mission", "host", "contact", "capacity", "visibility",
        ]  # fmt: skip
        widgets = {"time_zone": ZoneInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.instance
        if event.pk and event.starts_at and event.time_zone:
            self.initial["starts_local"] = event.local_start().replace(tzinfo=None)
            end = event.local_end()
            self.initial["ends_local"] = end.replace(tzinfo=None) if end else None

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"].strip()
        if value not in services.time_zone_names():
            raise ValidationError(_("%(value)s is not an IANA time zone."), params={"value": value})
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        zone = cleaned.get("time_zone")
        if zone:
            for field, attribute in (("starts_local", "starts_at"), ("ends_local", "ends_at")):
                naive = cleaned.get(field)
                if naive is None:
                    if field == "ends_local" and field not in self.errors:
                        self.instance.ends_at = None
                    continue
                try:
                    setattr(self.instance, attribute, services.local_to_utc(naive, zone))
                except ValueError:
                    self.add_error(
                        field,
                        _(
                            "%(time)s does not exist in %(zone)s: the clocks skip it "
                            "(summer time begins). Please choose another time."
                        )
                        % {"time": naive.strftime("%Y-%m-%d %H:%M"), "zone": zone},
                    )
            start, end = self.instance.starts_at, self.instance.ends_at
            if not self.errors and start is not None and end is not None and end <= start:
                self.add_error("ends_local", _("The end must be after the start."))
        self._fill_coordinates(cleaned)
        return cleaned

    def _fill_coordinates(self, cleaned: dict[str, Any]) -> None:
        """Empty coordinates are filled with the city's centre from the gazetteer."""
        if cleaned.get("latitude") is not None or cleaned.get("longitude") is not None:
            return
        country, city = cleaned.get("country"), cleaned.get("city")
        if not country or not city:
            return
        place = gazetteer.locate(country, city)
        if place.precision == "city" and place.latitude is not None:
            cleaned["latitude"], cleaned["longitude"] = place.latitude, place.longitude

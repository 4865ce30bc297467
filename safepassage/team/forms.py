from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.models import Role
from safepassage.accounts.permissions import fold_city
from safepassage.campaigns.models import Campaign, Organisation
from safepassage.directory.models import Mission
from safepassage.events.models import Event
from safepassage.lib import geo

MAX_CITIES = 50


def parse_cities(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Lines of "city, country" (ISO code or English name) → pairs, and the faulty lines."""
    names = {name.casefold(): code for code, name in geo.countries("en")}
    pairs: list[tuple[str, str]] = []
    faulty: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        city, _, country = line.rpartition(",")
        city, country = city.strip(), country.strip()
        code = country.upper() if country.upper() in geo.country_codes() else None
        code = code or names.get(country.casefold())
        if not city or code is None or len(city) > 120:
            faulty.append(line)
            continue
        if (code, fold_city(city)) not in {(c, fold_city(n)) for c, n in pairs}:
            pairs.append((code, city))
    return pairs, faulty


class MissionChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        where = ", ".join(p for p in (obj.city, geo.country_name(obj.host_country)) if p)
        return f"{obj.name} ({where})"


class EventChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        start = obj.local_start().strftime("%Y-%m-%d %H:%M")
        return f"{obj.title} · {obj.city} · {start} ({obj.time_zone})"


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Used once, to send the invitation; it is not kept."),
    )
    kind = forms.ChoiceField(
        label=_("Role"),
        choices=Role.Kind.choices,
        initial=Role.Kind.COORDINATOR,
        widget=forms.RadioSelect,
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation (partner editors)"),
        queryset=Organisation.objects.all(),
        required=False,
    )
    cities = forms.CharField(
        label=_("Cities (coordinators)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: city, country — e.g. “Washington, US”."),
    )
    missions = MissionChoiceField(
        label=_("Missions (coordinators)"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    events = EventChoiceField(
        label=_("Events (coordinators)"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    language = forms.ChoiceField(label=_("Language of the mail"), choices=settings.LANGUAGES)

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        self.campaign = campaign
        missions = self.fields["missions"]
        assert isinstance(missions, forms.ModelMultipleChoiceField)
        missions.queryset = (
            Mission.objects.open()
            .of(campaign.target_government)
            .order_by("host_country", "city", "name")
        )
        events = self.fields["events"]
        assert isinstance(events, forms.ModelMultipleChoiceField)
        events.queryset = Event.objects.filter(campaign=campaign).order_by("starts_at", "pk")
        language = (get_language() or "en").lower()
        codes = [code for code, _ in settings.LANGUAGES]
        self.fields["language"].initial = language if language in codes else "en"

    def clean_cities(self) -> list[tuple[str, str]]:
        pairs, faulty = parse_cities(self.cleaned_data.get("cities") or "")
        if faulty:
            raise ValidationError(
                _("Not a “city, country” line: %(lines)s"),
                params={"lines": "; ".join(faulty)},
            )
        if len(pairs) > MAX_CITIES:
            raise ValidationError(_("At most %(max)d cities."), params={"max": MAX_CITIES})
        return pairs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Role.Kind.PARTNER_EDITOR and not data.get("organisation"):
            self.add_error("organisation", _("A partner editor edits for an organisation."))
        if (
            kind == Role.Kind.COORDINATOR
            and "cities" in data
            and not (data.get("cities") or data.get("missions") or data.get("events"))
        ):
            raise ValidationError(_("Assign the coordinator at least one city, mission or event."))
        return data

    def assignments(self) -> list[dict[str, Any]]:
        """In the form Invitation.assignments keeps: {country, city}, {mission} or {event}."""
        data = self.cleaned_data
        items: list[dict[str, Any]] = [
            {"country": country, "city": city} for country, city in data["cities"]
        ]
        items += [{"mission": mission.pk} for mission in data["missions"]]
        items += [{"event": event.pk} for event in data["events"]]
        return items


class JoinForm(UserCreationForm):  # type: ignore[type-arg]
    """A new account for an invitee: user name, name, and a password Django accepts."""

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = get_user_model()
        fields = ("username", "first_name", "last_name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = False
        self.fields["last_name"].required = False
        # No password-less accounts: the invitation is the only way in.
        self.fields.pop("usable_password", None)

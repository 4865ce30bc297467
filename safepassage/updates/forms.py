from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from safepassage.events.models import Event
from safepassage.updates.models import Update, UpdateText


class UpdateForm(forms.ModelForm[Update]):
    class Meta:
        model = Update
        fields = ["audience", "event", "default_language"]

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        field: Any = self.fields["event"]
        field.queryset = Event.objects.filter(campaign=campaign).order_by("starts_at", "pk")
        field.help_text = _("Only for the audience of an event's RSVP-ers.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == Update.Audience.RSVPS:
            if not data.get("event"):
                self.add_error("event", _("Choose the event whose RSVP-ers get the update."))
        else:
            data["event"] = None
            self.instance.event = None
        return data


class TextForm(forms.ModelForm[UpdateText]):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = UpdateText
        fields = ["language", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}


class TestForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

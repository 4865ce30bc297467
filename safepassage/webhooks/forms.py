"""The organisers' form for a new webhook endpoint."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.webhooks import transport
from safepassage.webhooks.models import Event


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("An https:// address of the partner's system; it must answer within seconds."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=pgettext_lazy("webhook", "Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        transport.check_url(url)
        return url

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

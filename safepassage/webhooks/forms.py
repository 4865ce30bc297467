"""The forms of a webhook endpoint: the organisers' team page and the admin share one base."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.webhooks import transport
from safepassage.webhooks.models import Endpoint, Event


class EndpointFields(forms.ModelForm[Endpoint]):
    """What both forms ask: the events to send, and an address that passes the SSRF guard."""

    events = forms.MultipleChoiceField(
        label=pgettext_lazy("webhook", "Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        transport.check_url(url)
        return url


class EndpointForm(EndpointFields):
    """A new endpoint on the team pages (the campaign comes from the page)."""

    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("An https:// address of the partner's system; it must answer within seconds."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events"]
        labels = {"description": _("Description")}


class EndpointAdminForm(EndpointFields):
    """An endpoint in the admin, where the campaign and whether it is on are chosen too."""

    url = forms.URLField(label=_("address (https://)"), max_length=500, assume_scheme="https")

    class Meta:
        model = Endpoint
        fields = ["campaign", "url", "description", "events", "active"]

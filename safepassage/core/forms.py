"""The confirmation form of "Start next year's campaign" (admin action and team page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign


class RolloverForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address (slug)"),
        max_length=80,
        help_text=_("The new campaign's part of its addresses: /c/<slug>/, /team/<slug>/."),
    )
    day_of_action = forms.DateField(
        label=_("Day of action"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if Campaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A campaign with this address exists already."))
        return slug

    def clean_day_of_action(self) -> Any:
        day = self.cleaned_data["day_of_action"]
        if day <= self.campaign.day_of_action:
            raise forms.ValidationError(
                _("Next year's day of action must come after %(day)s."),
                params={"day": self.campaign.day_of_action.isoformat()},
            )
        if day.year > 2200:
            raise forms.ValidationError(_("Please choose a year before 2200."))
        return day

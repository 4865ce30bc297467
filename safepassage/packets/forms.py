"""The forms of the packet pages: starting a build, letting partners download."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign, Petition
from safepassage.packets.models import PacketBuild


class StartBuildForm(forms.Form):
    petition = forms.ModelChoiceField(queryset=Petition.objects.none(), label=_("Petition"))
    scope = forms.ChoiceField(
        choices=PacketBuild.Scope.choices,
        initial=PacketBuild.Scope.MISSION,
        label=_("Signers listed in each packet"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        petitions = campaign.petitions.order_by("slug")
        field = self.fields["petition"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = petitions
        if petitions.count() == 1:
            field.initial = petitions.first()


class SharingForm(forms.Form):
    partners_may_download = forms.BooleanField(
        required=False,
        label=_(
            "Partner organisations' editors may download the packets of the missions "
            "where their organisation hosts an event"
        ),
        help_text=_(
            "Packets list signers' names: allow it only for partners who hand packets over."
        ),
    )

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign, Petition
from safepassage.exports import uploads
from safepassage.exports.rows import FileChoices


class UploadForm(forms.Form):
    petition = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("The first line names the columns. UTF-8, at most 10 MB."),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["petition"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Petition.objects.filter(campaign=campaign)


class MappingForm(forms.Form):
    """Which column holds what, where the list comes from, and the organiser's declaration."""

    source = forms.CharField(
        label=_("Where the list comes from"),
        max_length=200,
        help_text=_('For example "paper: Washington vigil 2026" or "online form of our partner".'),
    )
    kind = forms.ChoiceField(
        label=_("What kind of list"),
        choices=[
            ("paper", _("Paper lists, typed up: each row is a paper signature")),
            ("online", _("Another online form: every row has an e-mail address")),
        ],
        initial="paper",
    )
    partner = forms.CharField(
        label=_("Collected by"),
        max_length=200,
        required=False,
        help_text=_(
            "The partner organisation that collected the paper lists, for rows whose "
            '"collected by" column is empty or missing; if empty, the source above. '
            "Totals per partner appear in the campaign's statistics and report, so name "
            "an organisation, not a volunteer."
        ),
    )
    file_count_only = forms.BooleanField(
        label=_(
            "Count only: do not hand the names on this list to the missions, unless a row "
            "says its name may be handed over"
        ),
        required=False,
    )
    declaration = forms.BooleanField(
        label=_(
            "These people signed the petition and agreed to what the list said about their "
            "data (for example, to hear from the campaign if they ticked that box)."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        header: Sequence[str],
        importing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.importing = importing
        choices: list[tuple[str, Any]] = [("", _("— not in the file —"))]
        choices += [
            (str(index), f"{index + 1}: {uploads.masked(title)}")
            for index, title in enumerate(header)
        ]
        guess = uploads.guess_mapping(header)
        columns = {}
        for name, label in uploads.FIELDS.items():
            columns[name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=name in uploads.REQUIRED,
                initial="" if guess[name] is None else str(guess[name]),
            )
        # The columns first, then what the organiser says about the whole file.
        self.fields = {**columns, **self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used: dict[str, str] = {}
        for name in uploads.FIELDS:
            value = data.get(name)
            if value:
                if value in used:
                    self.add_error(name, _("This column is already used for another field."))
                used[value] = name
        if self.importing and not data.get("declaration"):
            self.add_error(
                "declaration",
                _("Nothing is imported unless you confirm that these people signed and agreed."),
            )
        return data

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in uploads.FIELDS]

    def choices(self) -> FileChoices:
        data = self.cleaned_data
        return FileChoices(
            source=data["source"],
            paper=data["kind"] == "paper",
            collected_by=data.get("partner", ""),
            count_only=bool(data.get("file_count_only")),
        )

    def mapping(self) -> dict[str, int | None]:
        return {
            name: int(self.cleaned_data[name]) if self.cleaned_data.get(name) else None
            for name in uploads.FIELDS
        }


class DecisionForm(forms.Form):
    """An organiser's decision about one pair of possible paper duplicates."""

    pair = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(
        choices=[("keep", "keep"), ("drop_first", "drop_first"), ("drop_second", "drop_second")]
    )


class OsdiUploadForm(UploadForm):
    """An OSDI JSON export (exports/osdi.py) for one petition."""

    file = forms.FileField(
        label=_("OSDI JSON file"),
        help_text=_(
            "A page of osdi:signatures (each with its person) or of osdi:people, as Action "
            "Network and other OSDI tools export them. UTF-8, at most 20 MB."
        ),
    )


class OsdiImportForm(forms.Form):
    """Where an OSDI export comes from, whether names may be handed over, the declaration."""

    source = forms.CharField(
        label=_("Where the list comes from"),
        max_length=190,
        help_text=_('For example "Action Network: petition of Bravo Refugee Aid".'),
    )
    hand_over_names = forms.BooleanField(
        label=_(
            "The people on this list agreed that their names, cities and regions are handed "
            "to the missions with the petition (otherwise they are only counted)"
        ),
        required=False,
    )
    declaration = forms.BooleanField(
        label=_(
            "These people signed the petition and agreed to what the list said about their "
            "data (for example, to hear from the campaign if they ticked that box)."
        ),
        required=False,
    )

    def __init__(self, *args: Any, importing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.importing = importing

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.importing and not data.get("declaration"):
            self.add_error(
                "declaration",
                _("Nothing is imported unless you confirm that these people signed and agreed."),
            )
        return data

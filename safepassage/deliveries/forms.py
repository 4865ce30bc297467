"""Forms of the delivery pages: they read input; the rules are in services.py."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.lib import uploads
from safepassage.lib.uploads import CleanFile

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(name, name) for name in sorted(zoneinfo.available_timezones())]


class RecordForm(forms.Form):
    """What happened, with the time in the mission's local time."""

    status = forms.ChoiceField(label=_("Status"))
    date = forms.DateField(
        label=_("Date (local)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=_("Time (local)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("The local time zone of the mission's city."),
    )
    delivered_by = forms.CharField(
        label=_("Delivered by"),
        max_length=200,
        required=False,
        help_text=_("A name or a team; this page is seen only by organisers and coordinators."),
    )
    received_by = forms.CharField(
        label=_("Received by (name or title of the official)"), max_length=200, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    packet_sha256 = forms.CharField(
        label=_("Packet handed over (SHA-256)"),
        max_length=64,
        required=False,
        help_text=_("64 hexadecimal characters, as printed on the packet's cover sheet."),
    )
    seen = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, statuses: list[str], zone: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Delivery.Status.choices)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [(s, labels[s]) for s in statuses]
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = time_zone_choices()
        self.detected_zone = zone
        if zone:
            zone_field.initial = zone

    @classmethod
    def initial_for(cls, delivery: Delivery, zone: str | None) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "status": delivery.status,
            "delivered_by": delivery.delivered_by,
            "received_by": delivery.received_by,
            "notes": delivery.notes,
            "packet_sha256": delivery.packet_sha256,
            "seen": delivery.updated_at.isoformat(),
            "time_zone": zone or "",
        }
        if delivery.delivered_at is not None:
            local = delivery.delivered_at.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
            initial["date"] = local.date()
            initial["time"] = local.time().replace(second=0, microsecond=0)
        return initial

    def clean_packet_sha256(self) -> str:
        return str(self.cleaned_data.get("packet_sha256") or "").strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date, time, zone = data.get("date"), data.get("time"), data.get("time_zone")
        data["at"] = None
        if date is None and time is None:
            return data
        if date is None:
            self.add_error("date", _("Give the date as well as the time."))
        elif time is None:
            self.add_error("time", _("Give the time as well as the date."))
        elif not zone:
            self.add_error("time_zone", _("Choose the time zone the time is in."))
        else:
            data["at"] = datetime.combine(date, time, tzinfo=zoneinfo.ZoneInfo(zone))
        return data

    def seen_at(self) -> datetime | None:
        seen = self.cleaned_data.get("seen")
        if seen is None:
            return None
        return seen if timezone.is_aware(seen) else timezone.make_aware(seen)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Evidence.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A photo (JPEG, PNG or WebP) or, for a receipt or scan, a PDF; at most 15 MB. "
            "Location and camera data are removed from images before they are stored."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=300, required=False)
    publish = forms.BooleanField(
        label=_("May be shown in the public report"),
        required=False,
        help_text=_("Only if no one in it is put at risk by being recognised."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            try:
                data["clean"] = uploads.clean_upload(
                    upload, allow_pdf=data.get("kind") != Evidence.Kind.PHOTO
                )
            except ValidationError as error:
                self.add_error("file", error)
        return data

    @property
    def cleaned_upload(self) -> CleanFile:
        clean: CleanFile = self.cleaned_data["clean"]
        return clean


class ResponseForm(forms.Form):
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Response.Channel.choices)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    scan = forms.FileField(
        label=_("Scan (optional)"),
        required=False,
        help_text=_("A PDF or an image, at most 15 MB; images lose their metadata."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("scan")
        data["clean"] = None
        if upload:
            try:
                data["clean"] = uploads.clean_upload(upload)
            except ValidationError as error:
                self.add_error("scan", error)
        return data


class PublishForm(forms.Form):
    publish = forms.BooleanField(required=False)


class SendForm(forms.Form):
    BUILT, UPLOAD, LINK = "built", "upload", "link"

    source = forms.ChoiceField(
        label=_("What to send"),
        required=False,
        choices=[
            (BUILT, _("The mission's current packet, as built")),
            (UPLOAD, _("Another PDF, from this computer")),
            (LINK, _("A link to the packet")),
        ],
        initial=BUILT,
        widget=forms.RadioSelect,
    )
    packet = forms.FileField(
        label=_("Packet (PDF)"),
        required=False,
        help_text=_("Attached to the mail; at most 15 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    link = forms.URLField(
        label=_("…or a link to it"),
        required=False,
        assume_scheme="https",
        help_text=_("Instead of an attachment, for a packet too large to mail."),
    )
    link_sha256 = forms.CharField(
        label=_("SHA-256 of the linked file (optional)"), max_length=64, required=False
    )
    language = forms.ChoiceField(label=_("Language of the mail"), choices=settings.LANGUAGES)
    confirm = forms.BooleanField(
        label=_("I have checked the packet: send it to the mission now."), required=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, link = data.get("packet"), data.get("link")
        data["content"] = None
        source = data.get("source") or ""
        if not source:
            # Without a choice: what was given, else the built packet.
            source = self.UPLOAD if upload or "packet" in self.errors else ""
            source = source or (self.LINK if link or "link" in self.errors else self.BUILT)
        data["source"] = source
        if source == self.BUILT:
            return data
        if source == self.UPLOAD:
            if upload:
                try:
                    data["content"] = uploads.read_pdf(upload)
                except ValidationError as error:
                    self.add_error("packet", error)
            elif "packet" not in self.errors:
                self.add_error("packet", _("Choose the PDF to attach."))
            data["link"] = ""
            return data
        if not link and "link" not in self.errors:
            self.add_error("link", _("Give the link to the packet."))
        return data

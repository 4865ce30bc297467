"""Next year's campaign, the events app's part: events as drafts, the remembrance list.

Events move to the new day of action by the same number of days, at the same
local time in their own time zone (a daylight-saving change between the two
dates does not move a 14:00 vigil to 13:00). They start as drafts: the team
sees them, the public does not, until an organiser sets each one planned or
confirmed. Cancelled events stay behind; RSVPs are never copied.
"""

from __future__ import annotations

import datetime as dt

from safepassage.campaigns.models import Campaign
from safepassage.events.models import Event, EventText, ReadingScript, RemembranceName

# What an event's copy takes over unchanged.
COPIED = (
    "kind", "title", "description", "venue", "address", "city", "country", "latitude",
    "longitude", "mission_id", "host_id", "contact", "time_zone", "capacity", "visibility",
    "address_visibility",
)  # fmt: skip


def shifted(when: dt.datetime, zone: dt.tzinfo, shift: dt.timedelta) -> dt.datetime:
    """``when`` moved by ``shift`` days on the wall clock of ``zone``."""
    local = when.astimezone(zone).replace(tzinfo=None) + shift
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def copy_for_rollover(old: Campaign, new: Campaign, shift: dt.timedelta) -> dict[int, Event]:
    """Copy the events as drafts on the new dates; returns each copy by the old event's id."""
    copies: dict[int, Event] = {}
    for event in old.events.exclude(status=Event.Status.CANCELLED).order_by("starts_at", "pk"):
        zone = event.zone
        copy = Event(campaign=new, status=Event.Status.DRAFT)
        for name in COPIED:
            setattr(copy, name, getattr(event, name))
        copy.starts_at = shifted(event.starts_at, zone, shift)
        copy.ends_at = shifted(event.ends_at, zone, shift) if event.ends_at else None
        copy.save()
        EventText.objects.bulk_create(
            EventText(
                event=copy, language=text.language, title=text.title, description=text.description
            )
            for text in event.texts.all()
        )
        copies[event.pk] = copy
    RemembranceName.objects.bulk_create(
        RemembranceName(
            campaign=new,
            name=person.name,
            native_name=person.native_name,
            date=person.date,
            place=person.place,
            source=person.source,
            public=person.public,
            position=person.position,
        )
        for person in old.remembrance.order_by("position", "pk")
    )
    script = ReadingScript.objects.filter(campaign=old).first()
    if script is not None:
        ReadingScript.objects.create(campaign=new, opening=script.opening, closing=script.closing)
    return copies

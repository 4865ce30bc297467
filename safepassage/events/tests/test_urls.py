"""The public addresses of the events never change; the remembrance pages are the team's.

Event pages, feeds and RSVP links are on posters, in calendars and in sent mails.
"""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

EVENT = "0b6e3f4a-2c1d-4e5f-8a9b-0c1d2e3f4a5b"
RSVP = "5a4f3e2d-1c0b-4a9b-8e7d-6c5b4a3f2e1d"

PUBLIC_PATHS = [
    ("/events/day-of-action/", "events:list", {"campaign_slug": "day-of-action"}),
    (
        "/events/day-of-action/calendar.ics",
        "events:campaign_ics",
        {"campaign_slug": "day-of-action"},
    ),
    (
        "/events/day-of-action/DE/Berlin.ics",
        "events:city_ics",
        {"campaign_slug": "day-of-action", "country": "DE", "city": "Berlin"},
    ),
    (f"/e/{EVENT}/", "events:event", {"event_uuid": EVENT}),
    (f"/e/{EVENT}/event.ics", "events:event_ics", {"event_uuid": EVENT}),
    (f"/e/{EVENT}/rsvp/", "events:rsvp", {"event_uuid": EVENT}),
    (f"/e/{EVENT}/rsvp/thanks/", "events:rsvp_thanks", {"event_uuid": EVENT}),
    (
        f"/r/{RSVP}/confirm/abc123/",
        "events:rsvp_confirm",
        {"rsvp_uuid": RSVP, "token": "abc123"},
    ),
    (f"/r/{RSVP}/cancel/abc123/", "events:rsvp_cancel", {"rsvp_uuid": RSVP, "token": "abc123"}),
    (f"/r/{RSVP}/abc123/", "events:rsvp_page", {"rsvp_uuid": RSVP, "token": "abc123"}),
    (f"/r/{RSVP}/abc123/event.ics", "events:rsvp_ics", {"rsvp_uuid": RSVP, "token": "abc123"}),
]


@pytest.mark.parametrize(("path", "name", "kwargs"), PUBLIC_PATHS)
def test_a_public_path_is_kept(path: str, name: str, kwargs: dict[str, str]) -> None:
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name


def test_the_remembrance_pages_are_team_pages() -> None:
    assert reverse("events:remembrance", args=["day-of-action"]) == (
        "/team/day-of-action/remembrance/"
    )
    with pytest.raises(Resolver404):
        resolve("/remembrance/day-of-action/")

"""Start next year's campaign: a copy of a campaign for its next day of action.

One transaction copies what the coalition prepared, each app its own part
(``copy_for_rollover`` in campaigns, letters, events, accounts, reports, packets and
signatures):

- the campaign (draft, same targets and member organisations) on the new day;
- its petitions and their texts in every language, opening and closing times
  moved by the difference between the two days of action;
- supporting documents, and letters as drafts that an organiser approves again
  (letterheads belong to the organisations and are shared);
- events as drafts, moved by the same number of days, at the same local time;
  the remembrance list and the reading script;
- roles and assignments (organisers, partner editors, coordinators with their
  cities, missions and events); whoever starts the copy is an organiser of it;
- the press kit, unpublished;
- whether partners may download packets, and the partner sites allowed to
  embed the signing form.

Never copied: signatures, paper tallies, erasures, moderation, RSVPs,
deliveries and their evidence, packets, outbox messages, statistics, the
after-action report, invitations, exports and API tokens.

The old campaign moves to the archive in the same transaction (status
"archived", its figures counted a last time: reports/rollover.py), so it is
listed among the earlier years of the new one (reports/archive.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from safepassage.accounts import rollover as accounts_rollover
from safepassage.campaigns import rollover as campaigns_rollover
from safepassage.campaigns.models import Campaign
from safepassage.events import rollover as events_rollover
from safepassage.letters import rollover as letters_rollover
from safepassage.lib.writelock import database_write_lock
from safepassage.packets import rollover as packets_rollover
from safepassage.reports import rollover as reports_rollover
from safepassage.signatures import rollover as signatures_rollover


class RolloverError(Exception):
    """The copy could not be made (nothing was changed)."""


@dataclass(frozen=True)
class Rollover:
    campaign: Campaign
    petitions: int
    letters: int
    events: int
    roles: int
    press_kit: bool


def defaults(old: Campaign) -> dict[str, Any]:
    """What the confirmation form proposes: same title, next year's slug and day."""
    day = campaigns_rollover.same_day_next_year(old.day_of_action)
    taken = set(Campaign.objects.values_list("slug", flat=True))
    return {
        "title": old.title,
        "slug": campaigns_rollover.next_slug(old.slug, old.year, day.year, taken),
        "day_of_action": day,
    }


def start_next_year(
    old: Campaign, *, title: str, slug: str, day_of_action: dt.date, user: Any = None
) -> Rollover:
    """Copy ``old`` for ``day_of_action`` and archive it, all or nothing."""
    if day_of_action <= old.day_of_action:
        raise RolloverError(_("The new day of action must come after the old one."))
    shift = day_of_action - old.day_of_action
    try:
        with database_write_lock(), transaction.atomic():
            old = Campaign.objects.select_for_update().get(pk=old.pk)
            new = campaigns_rollover.new_campaign(
                old, title=title, slug=slug, day_of_action=day_of_action
            )
            petitions = campaigns_rollover.copy_for_rollover(old, new, shift)
            letters = letters_rollover.copy_for_rollover(old, new)
            events = events_rollover.copy_for_rollover(old, new, shift)
            roles = accounts_rollover.copy_for_rollover(old, new, events, user)
            press_kit = reports_rollover.copy_for_rollover(old, new, user)
            packets_rollover.copy_for_rollover(old, new)
            signatures_rollover.copy_for_rollover(old, new)
            if old.status != Campaign.Status.ARCHIVED:
                reports_rollover.archive(old)
    except IntegrityError as error:
        # A slug taken meanwhile (the form checks it first), or another rule of the database.
        message = _("The new campaign could not be saved: %(error)s") % {"error": error}
        raise RolloverError(message) from error

    return Rollover(new, len(petitions), letters, len(events), roles, press_kit)

"""Small public counts: below PUBLIC_COUNT_THRESHOLD a figure is shown as "fewer than N".

A per-mission count of 1 at a small consulate, or a per-country count of 2,
points at single people. Every public surface that breaks the signatures
down by country or by mission (the campaign page, the after-action report
and its PDF, the JSON API, the maps) shows such a figure as "fewer than 5"
instead, its share of the total not at all, and sorts it with the other small
ones by name, so that neither the figure nor its order among the small ones
can be read. Totals are not suppressed; what that leaves readable is in
docs/privacy.md ("Small counts"). Organisers' own pages keep exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext


def threshold() -> int:
    return int(settings.PUBLIC_COUNT_THRESHOLD)


def fewer_than_label(limit: int) -> str:
    """ "fewer than 5", in the active language."""
    number = formats.number_format(limit, decimal_pos=0, force_grouping=True)
    return gettext("fewer than %(number)s") % {"number": number}


@dataclass(frozen=True)
class PublicCount:
    """A count as the public may see it."""

    exact: int
    limit: int

    @property
    def hidden(self) -> bool:
        return 0 < self.exact < self.limit

    @property
    def value(self) -> int | None:
        """The figure, or None when it is hidden."""
        return None if self.hidden else self.exact

    @property
    def fewer_than(self) -> int | None:
        """The threshold when the figure is hidden (the API's ``fewer_than``), else None."""
        return self.limit if self.hidden else None

    @property
    def rank(self) -> int:
        """Sort key, larger first: every hidden figure ranks the same."""
        return 0 if self.hidden else self.exact

    def label(self) -> str:
        """The figure with the language's digit grouping, or "fewer than 5"."""
        if self.hidden:
            return fewer_than_label(self.limit)
        return formats.number_format(self.exact, decimal_pos=0, force_grouping=True)

    def share(self, total: int) -> float | None:
        """Percent of ``total``; None when hidden (a share of a known total is the figure)."""
        if self.hidden:
            return None
        return 100 * self.exact / total if total else 0.0

    def __str__(self) -> str:
        return self.label()


def public_count(exact: int, limit: int | None = None) -> PublicCount:
    return PublicCount(int(exact), threshold() if limit is None else limit)

"""What an import of the directory did, row by row, in words a person can act on.

Every rejected row lists its problems: the field, what is wrong and how to
fix it. Rows left out on purpose (another sending state, an honorary
consulate in the Wikidata file) are counted as skipped, never as rejected.
The same report is printed by ``manage.py import_missions``, shown on the
admin's import page and downloadable there as CSV (``error_csv``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepassage.lib.spreadsheet import neutralise


@dataclass(frozen=True)
class Problem:
    field: str  # the column, "" for the row as a whole
    what: str  # what is wrong
    fix: str  # how to put it right

    def __str__(self) -> str:
        return self.what


@dataclass
class Rejected:
    line: int
    key: str
    problems: list[Problem]

    @property
    def reasons(self) -> list[str]:
        return [problem.what for problem in self.problems]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    areas_added: int = 0
    areas_removed: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Rows left out on purpose, by why: {"RU": 12} for rows of another sending state.
    skipped_states: Counter[str] = field(default_factory=Counter)
    skipped_other: Counter[str] = field(default_factory=Counter)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def skipped(self) -> int:
        return sum(self.skipped_states.values()) + sum(self.skipped_other.values())

    def summary(self) -> str:
        text = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(rejected)d rejected; areas: %(added)d added, %(removed)d removed"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "added": self.areas_added,
            "removed": self.areas_removed,
        }
        skipped = self.skipped_explained()
        return f"{text}; {skipped}" if skipped else text

    def skipped_explained(self) -> str:
        """One sentence on the rows left out on purpose, or ""."""
        parts = []
        states = sum(self.skipped_states.values())
        if states:
            parts.append(
                ngettext(
                    "%(count)d row of %(states)d other sending state skipped",
                    "%(count)d rows of %(states)d other sending states skipped",
                    states,
                )
                % {"count": states, "states": len(self.skipped_states)}
            )
        for reason, count in sorted(self.skipped_other.items()):
            parts.append(
                ngettext("%(count)d row skipped: %(why)s", "%(count)d rows skipped: %(why)s", count)
                % {"count": count, "why": reason}
            )
        return "; ".join(parts)

    def lines(self) -> Iterator[str]:
        yield self.summary()
        for rejected in self.rejected:
            for problem in rejected.problems:
                where = f" [{problem.field}]" if problem.field else ""
                yield (
                    f"rejected line {rejected.line} ({rejected.key or 'no id'}){where}: "
                    f"{problem.what} — {problem.fix}"
                )
        for warning in self.warnings:
            yield f"warning: {warning}"


ERROR_COLUMNS = ("line", "id", "field", "problem", "how_to_fix")


def error_rows(reports: list[ImportReport]) -> list[dict[str, str]]:
    return [
        {
            "line": str(rejected.line),
            "id": rejected.key,
            "field": problem.field,
            "problem": problem.what,
            "how_to_fix": problem.fix,
        }
        for report in reports
        for rejected in report.rejected
        for problem in rejected.problems
    ]


def error_csv(rows: list[dict[str, str]]) -> str:
    """The rejected rows' problems as CSV, one line per problem, formula-safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ERROR_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return out.getvalue()

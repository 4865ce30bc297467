"""Import of signatures collected elsewhere: typed-up paper lists, online forms of partners.

An organiser uploads a CSV, says which column holds what (uploads.py), whether
it is a paper list or another online form, and declares that the people on
the list signed and agreed, and where the list comes from. Every row is
validated (rows.py); a row with any fault is rejected with its line and
reasons, and the rest is imported as confirmed signatures:

- a row with an e-mail address is not imported when the person already
  signed this petition (the keyed hash is the same as for online signing,
  and the unique constraint has the last word), appears earlier in the file,
  or withdrew before (an Erasure tombstone): it is reported as a duplicate.
  The address is stored, encrypted, only when the row's contact choice asks
  for updates or contact;
- a row of a paper list becomes a paper signature (``channel="paper"``,
  signatures/paper.py) with who collected it (its "collected by" cell, else
  the file's partner, else the source) and its sheet or page; without an
  address it gets a row key of its own in place of the e-mail hash. It is
  routed to its mission and named in that mission's packet unless it is
  count-only (its own column, else the file's choice);
- paper rows with the same normalised name and place as another row of the
  file or an earlier paper signature of the petition are imported all the
  same and flagged for an organiser's decision (duplicates.py), never merged.

No report line, log line or page ever shows an address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safepassage.campaigns.models import Petition
from safepassage.directory.tasks import schedule_routing
from safepassage.exports import duplicates
from safepassage.exports.rows import FileChoices, Problem, Row, cells, find_country, validate
from safepassage.lib import crypto
from safepassage.lib.writelock import database_write_lock
from safepassage.signatures import counter
from safepassage.signatures.models import Erasure, Signature
from safepassage.signatures.paper import person_key, row_key
from safepassage.signatures.services import insert_signatures

__all__ = ["FileChoices", "ImportReport", "Problem", "check", "find_country", "run_import"]

CONSENT_VERSION = "import-1"
_BATCH = 500


def declaration_text(source: str) -> str:
    """The organiser's declaration, hashed into every imported signature."""
    return _(
        "The people on this list signed the petition and agreed to what the list said "
        "about their data; the list's source is: %(source)s"
    ) % {"source": source}


def declaration_hash(source: str) -> str:
    return hashlib.sha256(f"{CONSENT_VERSION}\n{declaration_text(source)}".encode()).hexdigest()


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    held: int = 0  # created, but held for review (look-alike e-mail domain)
    paper: int = 0  # paper signatures (created, or to be created when checking)
    count_only: int = 0  # of which only counted, their names never handed over
    flagged: list[Problem] = field(default_factory=list)  # same name and place as another
    duplicates: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    with_email: int = 0  # valid rows with an address (before the duplicate check)
    committed: bool = False


def check(
    petition: Petition,
    rows: Sequence[Sequence[str]],
    mapping: dict[str, int | None],
    language: str,
    choices: FileChoices | str,
    start: int = 2,
) -> tuple[list[Row], ImportReport]:
    """Validate every row, find the duplicates and the rows to flag; writes nothing.

    ``choices`` may be the source alone: a paper list with the defaults.
    ``start`` is the number reports give the first row (a CSV's line 1 is its
    header; an OSDI import numbers its records from 1).
    """
    choices = _choices(choices)
    report = ImportReport()
    valid: list[Row] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(rows, start=start):
        if not any(cell.strip() for cell in line):
            continue
        report.rows += 1
        result = validate(number, cells(line, mapping), language, choices)
        if isinstance(result, Problem):
            report.rejected.append(result)
            continue
        if result.email_hash:
            report.with_email += 1
            if result.email_hash in first_line:
                report.duplicates.append(
                    Problem(
                        number,
                        [
                            _("the same person as on line %(line)d")
                            % {"line": first_line[result.email_hash]}
                        ],
                    )
                )
                continue
            first_line[result.email_hash] = number
        valid.append(result)
    hashes = [row.email_hash for row in valid if row.email_hash]
    signed: set[str] = set()
    withdrawn: set[str] = set()
    for start in range(0, len(hashes), _BATCH):
        batch = hashes[start : start + _BATCH]
        signed |= set(
            Signature.objects.filter(petition=petition, email_hash__in=batch).values_list(
                "email_hash", flat=True
            )
        )
        withdrawn |= set(
            Erasure.objects.filter(petition=petition, email_hash__in=batch).values_list(
                "email_hash", flat=True
            )
        )
    kept: list[Row] = []
    for row in valid:
        if row.email_hash in signed:
            report.duplicates.append(Problem(row.line, [_("already signed this petition")]))
        elif row.email_hash in withdrawn:
            report.duplicates.append(
                Problem(row.line, [_("withdrew their signature of this petition; not added again")])
            )
        else:
            kept.append(row)
    paper = [row for row in kept if row.channel == Signature.Channel.PAPER]
    report.paper = len(paper)
    report.count_only = sum(1 for row in paper if not row.publish_name)
    report.flagged = _flags(petition, paper)
    report.duplicates.sort(key=lambda problem: problem.line)
    return kept, report


def _choices(choices: FileChoices | str) -> FileChoices:
    return FileChoices(source=choices) if isinstance(choices, str) else choices


def _flags(petition: Petition, paper: Sequence[Row]) -> list[Problem]:
    """The paper rows whose name and place an earlier row or paper signature has."""
    earlier = duplicates.existing(petition) if paper else {}
    first_line: dict[tuple[str, str, str], int] = {}
    flagged: list[Problem] = []
    for row in paper:
        key = person_key(row.first_name, row.last_name, row.city, row.country)
        if key in earlier:
            before = earlier[key]
            flagged.append(
                Problem(
                    row.line,
                    [
                        _(
                            "same name and place as a paper signature imported before "
                            "(sheet %(sheet)s, collected by %(collected_by)s)"
                        )
                        % {"sheet": before.sheet or "—", "collected_by": before.collected_by}
                    ],
                )
            )
        elif key in first_line:
            flagged.append(
                Problem(
                    row.line,
                    [_("same name and place as line %(line)d") % {"line": first_line[key]}],
                )
            )
        else:
            first_line[key] = row.line
    return flagged


def _signature(petition: Petition, row: Row, source: str, consent: str) -> Signature:
    """An imported signature, built like services.build_pending builds an online one."""
    now = timezone.now()
    signature = Signature(
        petition=petition,
        status=Signature.Status.CONFIRMED,
        first_name=row.first_name,
        last_name=row.last_name,
        city=row.city,
        region=row.region,
        country=row.country,
        publish_name=row.publish_name,
        contact=row.contact,
        email_hash=row.email_hash,
        email_domain_hash=row.email_domain_hash,
        email_encrypted=(
            crypto.encrypt(row.email)
            if row.email and row.contact != Signature.Contact.COUNT_ONLY
            else ""
        ),
        language=petition.default_language,
        consent_version=CONSENT_VERSION,
        consent_hash=consent,
        review_reason="look-alike e-mail domain" if row.lookalike else "",
        created_at=now,
        confirmed_at=now,
        source=source,
        channel=row.channel,
        collected_by=row.collected_by,
        sheet=row.sheet,
    )
    if not signature.email_hash:
        # A paper row without an address: a key of its own (signatures/paper.py).
        signature.email_hash = row_key(signature.uuid)
    return signature


def run_import(
    petition: Petition,
    rows: Sequence[Sequence[str]],
    mapping: dict[str, int | None],
    choices: FileChoices | str,
    user: Any,
    language: str,
    start: int = 2,
) -> ImportReport:
    """Check, then write the signatures and their duplicate flags in one transaction."""
    choices = _choices(choices)
    kept, report = check(petition, rows, mapping, language, choices, start)
    consent = declaration_hash(choices.source)
    signatures = [_signature(petition, row, choices.source, consent) for row in kept]
    lines = {s.email_hash: row.line for s, row in zip(signatures, kept, strict=True)}
    with database_write_lock(), transaction.atomic():
        # Read again under the lock: what the flags compare with is what is there now.
        earlier = duplicates.existing(petition) if report.paper else {}
        for start in range(0, len(signatures), _BATCH):
            batch = signatures[start : start + _BATCH]
            insert_signatures(batch)
            for signature in batch:
                if signature.pk is None:
                    # Signed online between the check and now: the constraint held.
                    report.duplicates.append(
                        Problem(lines[signature.email_hash], [_("already signed this petition")])
                    )
                else:
                    report.created += 1
                    report.held += bool(signature.review_reason)
        paper = [s for s in signatures if s.pk and s.channel == Signature.Channel.PAPER]
        report.paper = len(paper)
        report.count_only = sum(1 for s in paper if not s.publish_name)
        duplicates.pairs(petition, paper, earlier)
        if report.created:
            schedule_routing(petition.pk)
        counter.recount(petition.pk)
    report.duplicates.sort(key=lambda problem: problem.line)
    report.committed = True
    return report

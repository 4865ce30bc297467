"""Import signatures and people from an OSDI JSON export (exports/osdi.py, docs/osdi.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Petition
from safepassage.exports import osdi
from safepassage.exports.importer import ImportReport


class Command(BaseCommand):
    help = (
        "Import the signatures (or people) of an OSDI JSON export, such as a page of "
        "osdi:signatures from Action Network, into a petition: the same duplicate and consent "
        "rules as any imported list; running it again adds nothing. No address is printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("petition", help="the petition's slug")
        parser.add_argument("file", help="the OSDI JSON file, or - for standard input")
        parser.add_argument("--source", required=True, help="where the list comes from")
        parser.add_argument(
            "--user",
            required=True,
            help="the organiser of the petition's campaign who declares that these people signed",
        )
        parser.add_argument(
            "--hand-over-names",
            action="store_true",
            help="the source's signers agreed that their names go to the missions "
            "(default: count only)",
        )
        parser.add_argument("--language", default="en", help="for region names and messages")
        parser.add_argument("--check", action="store_true", help="report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        petition = Petition.objects.select_related("campaign").filter(slug=options["petition"])
        found = petition.first()
        if found is None:
            raise CommandError(f"No petition {options['petition']!r}.")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None or not is_organiser(user, found.campaign):
            raise CommandError("--user must be an active organiser of the petition's campaign.")
        if not options["source"].strip():
            raise CommandError("--source must say where the list comes from.")
        try:
            if options["file"] == "-":
                data = sys.stdin.buffer.read(osdi.MAX_BYTES + 1)
            else:
                with open(options["file"], "rb") as handle:
                    data = handle.read(osdi.MAX_BYTES + 1)
            rows = osdi.parse(data)
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from error
        except osdi.UnreadableOsdi as error:
            raise CommandError(error.message) from error
        report = osdi.import_osdi(
            found,
            rows,
            options["source"],
            user,
            language=options["language"],
            hand_over_names=options["hand_over_names"],
            commit=not options["check"],
        )
        self.write_report(report, len(rows), options["check"])

    def write_report(self, report: ImportReport, records: int, checking: bool) -> None:
        verb = "would import" if checking else "imported"
        # A check writes nothing: what it would import is what is left after the refusals.
        created = (
            report.rows - len(report.rejected) - len(report.duplicates)
            if checking
            else report.created
        )
        self.stdout.write(
            f"{records} records: {verb} {created} signatures "
            f"({report.held} held for review), {len(report.duplicates)} duplicates, "
            f"{len(report.rejected)} rejected."
        )
        for label, problems in (("duplicate", report.duplicates), ("rejected", report.rejected)):
            for problem in problems:
                reasons = "; ".join(problem.reasons)
                self.stdout.write(f"record {problem.line}: {label}: {reasons}")

"""Import of signatures collected elsewhere: online forms of partners, typed-up paper lists.

An organiser uploads a CSV, says which column holds what (uploads.py), and
declares that the people on the list signed and agreed, and where the list
comes from. Every row is validated; a row with any fault is rejected with its line and
reasons, and the rest is imported:

- a row with an e-mail address becomes a confirmed signature, unless the
  person already signed this petition (the keyed hash is the same as for
  online signing, and the unique constraint has the last word), appears
  earlier in the file, or withdrew before (an Erasure tombstone): then it is
  reported as a duplicate and nothing is written. The address is stored,
  encrypted, only when the row's contact choice asks for updates or contact;
- a row without an address cannot be told apart from another person, so it
  is not a signature: such rows are added up per country, region and city
  into PaperTally rows and shown as "paper signatures without e-mail".

No report line, log line or page ever shows an address.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pycountry
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safepassage.campaigns.models import Petition
from safepassage.directory.tasks import schedule_routing
from safepassage.exports.uploads import FIELDS, masked
from safepassage.lib import crypto, geo
from safepassage.lib.emails import InvalidEmail, canonicalize
from safepassage.lib.spreadsheet import unneutralise
from safepassage.lib.writelock import database_write_lock
from safepassage.signatures import counter
from safepassage.signatures.models import Erasure, PaperTally, Signature
from safepassage.signatures.services import hash_domain, hash_email, insert_allowing_races

CONSENT_VERSION = "import-1"
_BATCH = 500

_MAX_LENGTHS = {"first_name": 100, "last_name": 100, "city": 100, "region": 100}

_YES = frozenset({"yes", "y", "true", "1", "x", "ja", "oui", "sí", "si", "예"})
_NO = frozenset({"", "no", "n", "false", "0", "nein", "non", "아니오"})
_CONTACT_WORDS = {
    **dict.fromkeys(_NO, Signature.Contact.COUNT_ONLY),
    "count": Signature.Contact.COUNT_ONLY,
    "updates": Signature.Contact.UPDATES,
    # A bare "yes" is read as the narrower consent: updates about this campaign.
    **dict.fromkeys(_YES, Signature.Contact.UPDATES),
    "contact": Signature.Contact.CONTACT,
}


def declaration_text(source: str) -> str:
    """The organiser's declaration, hashed into every imported signature."""
    return _(
        "The people on this list signed the petition and agreed to what the list said "
        "about their data; the list's source is: %(source)s"
    ) % {"source": source}


def declaration_hash(source: str) -> str:
    return hashlib.sha256(f"{CONSENT_VERSION}\n{declaration_text(source)}".encode()).hexdigest()


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                index[value.casefold()] = country.alpha_2
    for language, _name in settings.LANGUAGES:
        for code, name in geo.countries(language):
            index.setdefault(name.casefold(), code)
    return index


def find_country(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country given as a code or a name we know."""
    return _country_index().get(" ".join(text.split()).casefold())


def find_region(country: str, text: str, language: str) -> str | None:
    """The ISO 3166-2 code of a first-level subdivision: its code (with or without the
    country prefix) or its name in the organiser's language or any language of the site."""
    languages = [language] + [code for code, _name in settings.LANGUAGES if code != language]
    for candidate in (text, f"{country}-{text}"):
        for lang in languages:
            found = geo.find_subdivision(country, candidate, lang)
            if found is not None:
                return found
    return None


@dataclass
class Problem:
    line: int
    reasons: list[str]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    held: int = 0  # created, but held for review (look-alike e-mail domain)
    paper: int = 0  # rows without an address, counted in paper tallies
    tallies: int = 0  # PaperTally rows written
    duplicates: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    with_email: int = 0  # valid rows with an address (before the duplicate check)
    committed: bool = False


@dataclass
class _Row:
    line: int
    first_name: str
    last_name: str
    city: str
    region: str
    country: str
    email: str
    email_hash: str
    email_domain_hash: str
    lookalike: bool
    contact: str
    publish_name: bool


def _validate(line: int, get: dict[str, str], language: str) -> _Row | Problem:
    reasons: list[str] = []
    for name in ("first_name", "city"):
        if not get[name]:
            reasons.append(_("%(field)s is empty") % {"field": FIELDS[name]})
    for name, limit in _MAX_LENGTHS.items():
        if len(get[name]) > limit:
            reasons.append(
                _("%(field)s is longer than %(limit)d characters")
                % {"field": FIELDS[name], "limit": limit}
            )
    country = find_country(get["country"]) if get["country"] else None
    if not get["country"]:
        reasons.append(_("the country is empty"))
    elif country is None:
        reasons.append(
            _("country %(value)r is neither an ISO 3166 code nor a country name we know")
            % {"value": masked(get["country"][:60])}
        )
    region = get["region"]
    if country and region and geo.subdivisions(country):
        found = find_region(country, region, language)
        if found is None:
            reasons.append(
                _("region %(value)r is not a state or province of %(country)s")
                % {"value": masked(region[:60]), "country": geo.country_name(country, language)}
            )
        else:
            region = found
    email, digest, domain_digest, lookalike = get["email"], "", "", False
    if email:
        try:
            canonical = canonicalize(email)
            lookalike = canonical.lookalike
            digest = hash_email(email)
            domain_digest = hash_domain(canonical.domain)
        except InvalidEmail as error:
            # The reason names the fault, never the address itself.
            reasons.append(_("e-mail address: %(reason)s") % {"reason": _(error.message)})
    contact = _CONTACT_WORDS.get(get["contact"].casefold())
    if contact is None:
        reasons.append(
            _("contact choice %(value)r is not one of count, updates, contact, yes, no")
            % {"value": masked(get["contact"][:40])}
        )
    publish = get["publish_name"].casefold()
    if publish not in _YES and publish not in _NO:
        reasons.append(
            _("publish name %(value)r is not yes or no")
            % {"value": masked(get["publish_name"][:40])}
        )
    if reasons:
        return Problem(line, reasons)
    assert country is not None and contact is not None
    return _Row(
        line=line,
        first_name=get["first_name"],
        last_name=get["last_name"],
        city=get["city"],
        region=region,
        country=country,
        email=email,
        email_hash=digest,
        email_domain_hash=domain_digest,
        lookalike=lookalike,
        contact=contact,
        publish_name=publish in _YES,
    )


def _cells(row: Sequence[str], mapping: dict[str, int | None]) -> dict[str, str]:
    get: dict[str, str] = {}
    for name in FIELDS:
        index = mapping.get(name)
        value = row[index] if index is not None and index < len(row) else ""
        get[name] = " ".join(unneutralise(value.strip()).split())
    return get


def check(
    petition: Petition, rows: Sequence[Sequence[str]], mapping: dict[str, int | None], language: str
) -> tuple[list[_Row], ImportReport]:
    """Validate every row and find the duplicates; writes nothing."""
    report = ImportReport()
    valid: list[_Row] = []
    first_line: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):  # line 1 is the header
        if not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        result = _validate(number, _cells(cells, mapping), language)
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
    kept: list[_Row] = []
    for row in valid:
        if row.email_hash in signed:
            report.duplicates.append(Problem(row.line, [_("already signed this petition")]))
        elif row.email_hash in withdrawn:
            report.duplicates.append(
                Problem(row.line, [_("withdrew their signature of this petition; not added again")])
            )
        else:
            kept.append(row)
    report.paper = sum(1 for row in kept if not row.email_hash)
    report.duplicates.sort(key=lambda problem: problem.line)
    return kept, report


def _signature(petition: Petition, row: _Row, source: str, consent: str) -> Signature:
    """An imported signature, built like services.build_pending builds an online one."""
    now = timezone.now()
    return Signature(
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
            crypto.encrypt(row.email) if row.contact != Signature.Contact.COUNT_ONLY else ""
        ),
        language=petition.default_language,
        consent_version=CONSENT_VERSION,
        consent_hash=consent,
        review_reason="look-alike e-mail domain" if row.lookalike else "",
        created_at=now,
        confirmed_at=now,
        source=source,
    )


def run_import(
    petition: Petition,
    rows: Sequence[Sequence[str]],
    mapping: dict[str, int | None],
    source: str,
    user: Any,
    language: str,
) -> ImportReport:
    """Check, then write the signatures and paper tallies in one transaction."""
    kept, report = check(petition, rows, mapping, language)
    consent = declaration_hash(source)
    signatures = [_signature(petition, row, source, consent) for row in kept if row.email_hash]
    places = Counter((row.country, row.region, row.city) for row in kept if not row.email_hash)
    lines = {row.email_hash: row.line for row in kept}
    with database_write_lock(), transaction.atomic():
        for start in range(0, len(signatures), _BATCH):
            batch = signatures[start : start + _BATCH]
            insert_allowing_races(batch, {})
            for signature in batch:
                if signature.pk is None:
                    # Signed online between the check and now: the constraint held.
                    report.duplicates.append(
                        Problem(lines[signature.email_hash], [_("already signed this petition")])
                    )
                else:
                    report.created += 1
                    report.held += bool(signature.review_reason)
        tallies = [
            PaperTally(
                petition=petition,
                source=source,
                country=country,
                region=region,
                city=city,
                count=count,
                created_by=user,
            )
            for (country, region, city), count in sorted(places.items())
        ]
        PaperTally.objects.bulk_create(tallies)
        report.tallies = len(tallies)
        if report.created:
            schedule_routing(petition.pk)
    report.duplicates.sort(key=lambda problem: problem.line)
    report.committed = True
    counter.recount(petition.pk)
    return report

"""One row of an imported list: its cells, read and validated into a signature's fields.

A row that fails any check becomes a ``Problem`` with every reason; a
reason names the fault and the field, never an e-mail address (anything that
may be one is masked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import pycountry
from django.conf import settings
from django.utils.translation import gettext as _

from safepassage.exports.uploads import FIELDS, masked
from safepassage.lib import geo
from safepassage.lib.emails import InvalidEmail, canonicalize
from safepassage.lib.spreadsheet import unneutralise
from safepassage.signatures.models import Signature
from safepassage.signatures.services import hash_domain, hash_email

_MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "city": 100,
    "region": 100,
    "collected_by": 200,
    "sheet": 100,
}

YES = frozenset({"yes", "y", "true", "1", "x", "ja", "oui", "sí", "si", "예"})
NO = frozenset({"", "no", "n", "false", "0", "nein", "non", "아니오"})
_CONTACT_WORDS = {
    **dict.fromkeys(NO, Signature.Contact.COUNT_ONLY),
    "count": Signature.Contact.COUNT_ONLY,
    "updates": Signature.Contact.UPDATES,
    # A bare "yes" is read as the narrower consent: updates about this campaign.
    **dict.fromkeys(YES, Signature.Contact.UPDATES),
    "contact": Signature.Contact.CONTACT,
}


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


@dataclass(frozen=True)
class FileChoices:
    """What the organiser said about the whole file."""

    source: str
    paper: bool = True  # a paper list (else another online form)
    collected_by: str = ""  # for rows that do not say; empty: the source
    count_only: bool = False  # for rows that do not say whether their name may be handed over


@dataclass
class Row:
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
    channel: str
    collected_by: str
    sheet: str


def cells(row: Sequence[str], mapping: dict[str, int | None]) -> dict[str, str]:
    get: dict[str, str] = {}
    for name in FIELDS:
        index = mapping.get(name)
        value = row[index] if index is not None and index < len(row) else ""
        get[name] = " ".join(unneutralise(value.strip()).split())
    return get


def _yes_no(value: str) -> bool | None:
    """True, False, or None for an empty cell (raises KeyError for anything else)."""
    folded = value.casefold()
    if not folded:
        return None
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise KeyError(value)


def _named(get: dict[str, str], choices: FileChoices, reasons: list[str]) -> bool:
    """Whether the name may be handed over: the row's own columns, else the file's choice."""
    publish: bool | None = None
    count_only: bool | None = None
    try:
        publish = _yes_no(get["publish_name"])
    except KeyError:
        reasons.append(
            _("publish name %(value)r is not yes or no")
            % {"value": masked(get["publish_name"][:40])}
        )
    try:
        count_only = _yes_no(get["count_only"])
    except KeyError:
        reasons.append(
            _("count only %(value)r is not yes or no") % {"value": masked(get["count_only"][:40])}
        )
    if publish is not None and count_only is not None and publish == count_only:
        reasons.append(_("the row says both that the name may be handed over and that it may not"))
    if count_only is not None:
        return not count_only
    if publish is not None:
        return publish
    return not choices.count_only


def validate(line: int, get: dict[str, str], language: str, choices: FileChoices) -> Row | Problem:
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
    elif not choices.paper:
        reasons.append(_("no e-mail address: rows of an online list need one"))
    contact = _CONTACT_WORDS.get(get["contact"].casefold())
    if contact is None:
        reasons.append(
            _("contact choice %(value)r is not one of count, updates, contact, yes, no")
            % {"value": masked(get["contact"][:40])}
        )
    elif not email:
        # Without an address there is nobody to write to.
        contact = Signature.Contact.COUNT_ONLY
    named = _named(get, choices, reasons)
    if reasons:
        return Problem(line, reasons)
    assert country is not None and contact is not None
    paper = choices.paper
    return Row(
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
        publish_name=named,
        channel=Signature.Channel.PAPER if paper else Signature.Channel.IMPORT,
        collected_by=(get["collected_by"] or choices.collected_by or choices.source)[:200]
        if paper
        else "",
        sheet=get["sheet"] if paper else "",
    )

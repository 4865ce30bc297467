"""Merge fields: ``{{ mission_name }}`` in a letter, filled in per mission.

A letter is written once and printed for every embassy and consulate, so
the parts that change (the mission's name and address, its signature
count, the date in the letter's language) are written as fields. The
syntax is deliberately tiny, ``{{ name }}`` with optional spaces, so
that organisers can type it and the editor can check it: no filters, no
logic, nothing that could run. Everything outside a field is left
exactly as written.

Values come from the directory and from organisers, so they are inserted
literally: in a Markdown body every character that Markdown or HTML would
read as markup is escaped, so a mission called ``*Consulate* <b>`` prints
as those characters and never becomes emphasis, a tag or a link.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safepassage.directory.models import Mission
from safepassage.lib import geo
from safepassage.signatures.models import Signature

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from safepassage.letters.models import Letter

MERGE_FIELDS: dict[str, _StrPromise] = {
    "date": _("Today's date, written out in the letter's language."),
    "day_of_action": _("The campaign's day of action, written out in the letter's language."),
    "mission_name": _("The embassy's or consulate's name."),
    "mission_address": _(
        "The mission's postal address on several lines, with postcode, city and country."
    ),
    "mission_city": _("The city the mission is in."),
    "mission_country": _("The country the mission is in."),
    "target_name": _("The person the petition is addressed to."),
    "target_title": _("That person's title."),
    "signatures_mission": _("The number of signatures delivered to this mission."),
    "signatures_total": _("The number of signatures in the whole campaign."),
    "campaign_title": _("The campaign's title."),
    "organisation_name": _("The name of the organisation sending the letter."),
}

# A well-formed field: a name made of letters, digits and underscores.
FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything between braces, to find the malformed ones ("{{ }}", "{{ a b }}").
_BRACED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SHOWN_FRAGMENT = 30

# Dates are written out in full in letters; Django's DATE_FORMAT is already a
# long form in most languages, but English abbreviates the month ("Sept.").
_LONG_DATE_FORMATS = {"en": "F j, Y", "en-gb": "j F Y", "en-au": "j F Y"}


def find_fields(text: str) -> list[str]:
    """The names of the well-formed fields in ``text``, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in FIELD.finditer(text)))


def unknown_fields(text: str, known: Collection[str] | None = None) -> list[str]:
    """What the editor should complain about, each once, in order.

    Names that are not merge fields (of letters, or the names in
    ``known``), plus malformed fields written as they appear (``{{ }}``,
    ``{{ two words }}``) and an unclosed ``{{`` shown with the text that
    follows it, so the writer can find it.
    """
    found: list[str] = []
    position = 0
    while (start := text.find("{{", position)) != -1:
        match = _BRACED.match(text, start)
        if match is None:
            found.append(text[start : start + _SHOWN_FRAGMENT].splitlines()[0].rstrip())
            break
        field = FIELD.fullmatch(match.group(0))
        if field is None:
            found.append(match.group(0))
        elif field.group(1) not in (MERGE_FIELDS if known is None else known):
            found.append(field.group(1))
        position = match.end()
    return list(dict.fromkeys(found))


@cache
def _markdown_specials() -> frozenset[str]:
    # The characters the petition/letter Markdown dialect accepts a backslash
    # before; escaping any other character would leave a visible backslash.
    import markdown as markdown_lib

    parser = markdown_lib.Markdown(extensions=["extra", "sane_lists"])
    return frozenset(parser.ESCAPED_CHARS)


def escape_markdown(value: str) -> str:
    """``value`` as Markdown that renders to exactly these characters.

    HTML's special characters become entities, Markdown's are escaped with a
    backslash, and a value on several lines keeps its lines (hard breaks)
    without ever starting a new paragraph, list, heading or code block.
    """
    specials = _markdown_specials()
    entities = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    lines = []
    for line in value.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        lines.append(
            "".join(
                entities[char] if char in entities else "\\" + char if char in specials else char
                for char in line
            )
        )
    return "  \n".join(lines)


def merge(text: str, context: Mapping[str, str]) -> str:
    """Markdown ``text`` with its fields replaced by the escaped values in ``context``.

    Fields without a value in ``context`` stay as written, so a mistake
    is visible in the preview (and ``unknown_fields`` reports it).
    Values are never scanned again: a value containing ``{{ x }}`` stays literal.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return escape_markdown(context[name]) if name in context else match.group(0)

    return FIELD.sub(replace, text)


def merge_plain(text: str, context: Mapping[str, str]) -> str:
    """Plain ``text`` (a subject or closing line) with its fields replaced, unescaped.

    For text that a template escapes when it is shown; Markdown escaping
    would leave backslashes in it. Lines of multi-line values are joined.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in context:
            return match.group(0)
        return ", ".join(line.strip() for line in context[name].splitlines() if line.strip())

    return FIELD.sub(replace, text)


# --- Values ------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeContext:
    """The values of every merge field for one letter and one mission, as text."""

    date: str
    day_of_action: str
    mission_name: str
    mission_address: str
    mission_city: str
    mission_country: str
    target_name: str
    target_title: str
    signatures_mission: str
    signatures_total: str
    campaign_title: str
    organisation_name: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def long_date(day: date, language: str) -> str:
    """``day`` written out as a letter would, in ``language`` (``2025년 9월 24일``)."""
    with translation.override(language):
        code = (translation.get_language() or language).lower()
        long_format = _LONG_DATE_FORMATS.get(code, "DATE_FORMAT")
        return formats.date_format(day, long_format)


def format_count(number: int, language: str) -> str:
    """``number`` with the thousands separator of ``language`` (1,234 / 1.234)."""
    with translation.override(language):
        return formats.number_format(number, decimal_pos=0, force_grouping=True)


def mission_address(mission: Mission, language: str) -> str:
    """The lines under the mission's name on an envelope, ending with its country.

    Never an empty block: without a postal address (the directory does not
    know every one) it is the postcode and city, else the country alone, so a
    letter handed in on the day still names where it goes. Only stored values:
    the same mission always gives the same text (packets are reproducible).
    """
    lines = [line.strip() for line in mission.postal_address.splitlines() if line.strip()]
    if not lines:
        lines.append(" ".join(p.strip() for p in (mission.postcode, mission.city) if p.strip()))
    lines.append(geo.country_name(mission.host_country, language))
    return "\n".join(line for line in lines if line)


def _sender_name(letter: Letter) -> str:
    return letter.organisation.name if letter.organisation else letter.campaign.title


def context_for(
    letter: Letter,
    mission: Mission | None,
    *,
    signatures_mission: int,
    signatures_total: int,
    on: date,
) -> dict[str, str]:
    """The merge values for ``letter`` sent to ``mission`` on the date ``on``.

    Without a mission the mission fields are empty. Dates and numbers are
    written in the letter's language, not the reader's.
    """
    campaign = letter.campaign
    language = letter.language
    values = MergeContext(
        date=long_date(on, language),
        day_of_action=long_date(campaign.day_of_action, language),
        mission_name=mission.name if mission else "",
        mission_address=mission_address(mission, language) if mission else "",
        mission_city=mission.city if mission else "",
        mission_country=geo.country_name(mission.host_country, language) if mission else "",
        target_name=campaign.target_person,
        target_title=campaign.target_title,
        signatures_mission=format_count(signatures_mission, language),
        signatures_total=format_count(signatures_total, language),
        campaign_title=campaign.title,
        organisation_name=_sender_name(letter),
    )
    return values.as_dict()


def sample_context(letter: Letter) -> dict[str, str]:
    """Plausible values for previewing ``letter`` before any packet is built.

    The first open embassy of the target government stands in for the
    mission (any open mission if it has no embassy); with an empty
    directory the mission fields are invented and say they are examples.
    Counts are the real ones, so the preview shows their format.
    """
    campaign = letter.campaign
    missions = Mission.objects.open().of(campaign.target_government)
    mission = missions.filter(kind=Mission.Kind.EMBASSY).first() or missions.first()
    counted = Signature.objects.counted().filter(petition__campaign=campaign)
    total = counted.count()
    at_mission = counted.filter(route__mission=mission).count() if mission else 0
    context = context_for(
        letter,
        mission,
        signatures_mission=at_mission,
        signatures_total=total,
        on=timezone.localdate(),
    )
    if mission is None:
        with translation.override(letter.language):
            context.update(
                mission_name=gettext("Embassy (example)"),
                mission_address=gettext("1 Example Street\n12345 Example City\nExample Country"),
                mission_city=gettext("Example City"),
                mission_country=gettext("Example Country"),
            )
    return context

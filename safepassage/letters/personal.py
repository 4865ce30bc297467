"""The personal letter: a signer's own letter to their nearest mission.

After confirming, a signer may take a sample letter written for one person
(personal_sample.py, in their language), change it as they like and either
print it (a PDF addressed to the mission) or send it from their own mail
program (a ``mailto:`` link). Nothing they write is kept: the text travels in
the request that asks for the PDF or the link and is gone with the response.
That is why nothing here writes to the database — not even routing, which for
a signature not routed yet is computed for that one signature in memory and
left for the routing sweep to store.

The link to the tool is tokenised like the confirm and withdraw links
(``safepassage.lib.links``), under a salt of its own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory import search
from safepassage.directory.models import Mission, mission_of
from safepassage.directory.routing import Router, find_for_text
from safepassage.letters import personal_sample
from safepassage.letters.merge import context_for, long_date, merge, merge_plain, unknown_fields
from safepassage.letters.models import Letter
from safepassage.lib import geo, links
from safepassage.lib.markdown import render_markdown
from safepassage.lib.pdf import html_to_pdf
from safepassage.lib.smallcounts import public_count
from safepassage.signatures import counter
from safepassage.signatures.models import Signature

# The salt of the link is part of links already shown and must not change.
LINK_NAMESPACE = "safepassage.letters.personal"
LINK_PURPOSE = "letter"

MAX_BODY = 20_000
MAX_SUBJECT = 300
MAX_CLOSING = 200
MAX_NAME = 200
MAX_ADDRESS = 500

# A mailto: link longer than this is shortened. Browsers take far longer URLs,
# but some mail programs (Outlook on Windows among them) cut or refuse long
# ones; the page always offers the whole text to copy besides the link.
MAILTO_MAX = 8_000


# --- The link -----------------------------------------------------------------------


def letter_token(signature_uuid: uuid.UUID | str) -> str:
    return links.make_token(LINK_NAMESPACE, LINK_PURPOSE, signature_uuid)


def check_letter_token(signature_uuid: uuid.UUID | str, token: str) -> bool:
    return links.check_token(LINK_NAMESPACE, LINK_PURPOSE, signature_uuid, token)


def letter_url(signature: Signature) -> str:
    """The path of the signer's personal letter tool (for the confirmation page and mail)."""
    return reverse("letters:personal", args=[signature.uuid, letter_token(signature.uuid)])


def signature_from_link(signature_uuid: uuid.UUID, token: str) -> Signature | None:
    """The confirmed signature the link was made for; None for any other link.

    A pending signature has not agreed to anything yet, and a withdrawn one
    no longer exists: both get the same answer as a forged token.
    """
    if not check_letter_token(signature_uuid, token):
        return None
    return (
        Signature.objects.select_related("petition__campaign", "route__mission")
        .filter(uuid=signature_uuid, status=Signature.Status.CONFIRMED)
        .first()
    )


# --- The mission --------------------------------------------------------------------


def missions_for(campaign: Campaign) -> QuerySet[Mission]:
    """The missions a signer may write to: those routing could choose."""
    return Mission.objects.of(campaign.target_government).routable()


def nearest_mission(signature: Signature) -> Mission | None:
    """The signature's mission; computed (never stored) if it is not routed yet.

    A mission that closed since routing is not used: the signature then goes
    back to the routing queue, and here the rule is applied afresh.
    """
    campaign = signature.petition.campaign
    mission = mission_of(signature)
    if mission is not None and missions_for(campaign).filter(pk=mission.pk).exists():
        return mission
    route = Router(campaign.target_government).route(
        signature.country, signature.region, signature.city
    )
    if route.mission_id is None:
        return None
    return Mission.objects.filter(pk=route.mission_id).first()


def picker_missions(
    missions: list[Mission],
    *,
    chosen: Mission | None,
    routed: Mission | None,
    query: str,
    country: str,
    language: str,
) -> tuple[list[Mission], int]:
    """The missions the picker offers (never all of them at once), and how many match.

    Without a search, those in the country of the chosen and of the signer's own
    mission; with one, those whose name, city or country match it, and the one a
    place typed there is routed to ("Waterloo, Ontario": Toronto), first. The
    chosen and the signer's own mission are always offered.
    """
    found: list[Mission] = []
    if query:
        by_pk = {mission.pk: mission for mission in missions}
        state = missions[0].sending_state if missions else ""
        finding = find_for_text(Router(state), query, country) if state else None
        if finding and finding.found and finding.route.mission_id in by_pk:
            found.append(by_pk[finding.route.mission_id])
        found += search.search(missions, query, language)
    offered = found + [m for m in (chosen, routed) if m is not None]
    if not query:
        countries = {m.host_country for m in offered}
        offered += [m for m in missions if m.host_country in countries] or missions
    unique: dict[int, Mission] = {}
    for mission in offered:
        unique.setdefault(mission.pk, mission)
    return list(unique.values()), len({mission.pk for mission in found})


# --- The merge fields ---------------------------------------------------------------


def merge_context(
    petition: Petition, language: str, mission: Mission | None, on: date
) -> dict[str, str]:
    """The merge fields' values for one mission, as the packets would fill them.

    The letter is the signer's own (personal_sample.py), not a campaign letter;
    fields the signer types in it ({{ mission_city }}) are filled in as in packets.
    """
    if mission is None:
        return {}
    stand_in = Letter(campaign=petition.campaign, language=language)
    at_mission = (
        Signature.objects.counted().filter(petition=petition, route__mission=mission).count()
    )
    values = context_for(
        stand_in,
        mission,
        signatures_mission=at_mission,
        signatures_total=counter.confirmed_count(petition),
        on=on,
    )
    # Anyone who signs may open this tool for any mission: a small count is not
    # theirs to read (lib/smallcounts.py), so it says "fewer than 5" here too.
    shown = public_count(at_mission)
    if shown.hidden:
        with translation.override(language):
            values["signatures_mission"] = shown.label()
    return values


# --- The draft ----------------------------------------------------------------------


@dataclass
class Draft:
    """What the signer sends: never saved, only passed from the form to the output."""

    subject: str
    body: str
    closing: str
    signer_name: str
    sender_address: str = ""
    language: str = "en"


def signer_name(signature: Signature) -> str:
    language = personal_sample.letter_language(signature)
    return personal_sample.display_name(signature.first_name, signature.last_name, language)


def initial_draft(signature: Signature, mission: Mission | None) -> Draft:
    """The personal letter's sample, written for one person, filled in for ``mission``.

    Its own text in the signer's language (personal_sample.py): never the
    campaign's cover letter, which speaks for a coalition and its signers.
    """
    language = personal_sample.letter_language(signature)
    text = personal_sample.sample(signature, mission, language)
    return Draft(
        subject=text.subject,
        body=text.body,
        closing=text.closing,
        signer_name=signer_name(signature),
        language=language,
    )


def unknown_in(text: str) -> list[str]:
    """Merge fields in ``text`` that do not exist, in order of appearance."""
    return list(unknown_fields(text))


def filled(draft: Draft, context: dict[str, str], *, markdown: bool) -> Draft:
    """The draft with the merge fields the signer typed filled in.

    For the PDF (``markdown``) values in the body are escaped as in packets,
    so a value prints exactly as it is; for an e-mail they go in as plain text.
    """
    if not context:
        return draft
    return Draft(
        subject=merge_plain(draft.subject, context),
        body=(merge if markdown else merge_plain)(draft.body, context),
        closing=merge_plain(draft.closing, context),
        signer_name=draft.signer_name,
        sender_address=draft.sender_address,
        language=draft.language,
    )


# --- The PDF ------------------------------------------------------------------------


def letter_html(draft: Draft, mission: Mission | None, on: date) -> str:
    """The HTML of the printed letter: sender, date, recipient, text, signature line."""
    with translation.override(draft.language):
        bidi = translation.get_language_bidi()
    context = {
        "draft": draft,
        "mission": mission,
        "recipient": mission.address_block().splitlines() if mission else [],
        "sender": [line.strip() for line in draft.sender_address.splitlines() if line.strip()],
        "body_html": render_markdown(draft.body),
        "dated": long_date(on, draft.language),
        "language": draft.language,
        "direction": "rtl" if bidi else "ltr",
    }
    return render_to_string("letters/personal/letter_pdf.html", context)


def render_pdf(draft: Draft, mission: Mission | None, on: date) -> bytes:
    """The printable letter, without letterhead and signed by the signer.

    The shared renderer draws saved letter versions with their signatories;
    a personal letter is never saved, so its own template is laid out here
    (sender, date, recipient, text, signature line) in the same fonts, and
    turned into PDF by the same function, which fetches nothing.
    """
    return html_to_pdf(letter_html(draft, mission, on))


def pdf_filename(mission: Mission | None) -> str:
    """An ASCII file name that no browser or file system chokes on."""
    slug = slugify(mission.name)[:80].strip("-") if mission else ""
    return f"letter-{slug}.pdf" if slug else "letter.pdf"


# --- The e-mail ---------------------------------------------------------------------

_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")


def plain_text(markdown: str) -> str:
    """The letter's Markdown as an e-mail would show it: without bold markers,
    links as "text (address)"; lists and paragraphs read well as they are."""
    text = _STRONG.sub(r"\2", markdown)
    text = _LINK.sub(r"\1 (\2)", text)
    return text.replace("\r\n", "\n").strip()


def mail_text(draft: Draft) -> str:
    """The whole e-mail body: the letter, the closing and the signer's name and address."""
    parts = [plain_text(draft.body)]
    sign_off = [line for line in (draft.closing.strip(), draft.signer_name.strip()) if line]
    sign_off += [line.strip() for line in draft.sender_address.splitlines() if line.strip()]
    if sign_off:
        parts.append("\n".join(sign_off))
    return "\n\n".join(part for part in parts if part)


@dataclass(frozen=True)
class MailLink:
    href: str
    shortened: bool


def _encode(text: str) -> str:
    # RFC 6068: every reserved character percent-encoded, line breaks as CRLF.
    return quote(text.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")


def mailto_link(address: str, subject: str, body: str, limit: int = MAILTO_MAX) -> MailLink:
    """A ``mailto:`` link that opens the letter in the signer's own mail program.

    A body too long for the link is cut at a word boundary, marked with an
    ellipsis, and ``shortened`` says so (the page then offers the full text).
    """
    head = f"mailto:{quote(address, safe='@')}?subject={_encode(subject)}&body="
    full = head + _encode(body)
    if len(full) <= limit:
        return MailLink(full, shortened=False)
    low, high = 0, len(body)
    while low < high:  # the longest prefix whose link fits
        middle = (low + high + 1) // 2
        if len(head) + len(_encode(body[:middle].rstrip() + " …")) <= limit:
            low = middle
        else:
            high = middle - 1
    cut = body[:low]
    if " " in cut or "\n" in cut:
        cut = re.sub(r"\S*$", "", cut)
    return MailLink(head + _encode(cut.rstrip() + " …"), shortened=True)


def country_name(mission: Mission, language: str | None = None) -> str:
    return geo.country_name(mission.host_country, language or translation.get_language() or "en")

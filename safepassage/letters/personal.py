"""The personal letter: a signer's own letter to their nearest mission.

After confirming, a signer may take the campaign's sample letter, change it
as they like and either print it (a PDF addressed to the mission) or send it
from their own mail program (a ``mailto:`` link). Nothing they write is kept:
the text travels in the request that asks for the PDF or the link and is
gone with the response. That is why nothing here writes to the database —
not even routing, which for a signature not routed yet is computed for that
one signature in memory and left for the routing sweep to store.

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
from safepassage.directory.models import Mission
from safepassage.directory.routing import Router
from safepassage.letters.merge import context_for, long_date, merge, merge_plain, unknown_fields
from safepassage.letters.models import Letter, LetterVersion
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
        Signature.objects.select_related("petition__campaign", "mission")
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
    mission = signature.mission
    if (
        signature.placement
        and mission is not None
        and missions_for(campaign).filter(pk=mission.pk).exists()
    ):
        return mission
    route = Router(campaign.target_government).route(
        signature.country, signature.region, signature.city
    )
    if route.mission_id is None:
        return None
    return Mission.objects.filter(pk=route.mission_id).first()


# --- The sample letter --------------------------------------------------------------


def sample_letter(petition: Petition, language: str) -> Letter | None:
    """The campaign's sample letter in the signer's language, else the petition's default."""
    samples = {
        letter.language.lower(): letter
        for letter in Letter.objects.filter(campaign=petition.campaign, organisation__isnull=True)
    }
    language = (language or "").lower()
    for candidate in (language, language.split("-")[0], petition.default_language.lower()):
        if candidate in samples:
            return samples[candidate]
    return None


def sample_version(letter: Letter) -> LetterVersion | None:
    """The approved version of the sample letter, else its latest one."""
    return letter.approved_version or letter.latest_version()


def merge_context(
    petition: Petition, letter: Letter | None, mission: Mission | None, on: date
) -> dict[str, str]:
    """The merge fields' values for one mission, as the packets would fill them."""
    if mission is None:
        return {}
    stand_in = letter or Letter(campaign=petition.campaign, language=petition.default_language)
    at_mission = Signature.objects.counted().filter(petition=petition, mission=mission).count()
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
        with translation.override(stand_in.language):
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
    return " ".join(part for part in (signature.first_name, signature.last_name) if part)


def initial_draft(
    signature: Signature, letter: Letter | None, mission: Mission | None, on: date
) -> Draft:
    """The sample letter filled in for ``mission``, signed with the signer's name.

    Values go in literally (``merge_plain``), not escaped for Markdown as in
    packets: the signer edits this text, and backslashes before every dot of
    an address would only confuse. Merge fields that cannot be filled (no
    mission) are left for the signer to see.
    """
    petition = signature.petition
    language = letter.language if letter else petition.default_language
    version = sample_version(letter) if letter else None
    if version is None:
        return Draft("", "", "", signer_name(signature), language=language)
    context = merge_context(petition, letter, mission, on)

    def fill(text: str) -> str:
        return merge_plain(text, context) if context else text

    return Draft(
        subject=fill(version.subject),
        body=fill(without_head_lines(version.body)),
        closing=fill(version.closing),
        signer_name=signer_name(signature),
        language=language,
    )


# Lines holding only one of these fields are the head of an organisation's letter;
# the personal letter prints the date and the mission's address in places of its own.
_HEAD_LINE = re.compile(r"^[ \t]*\{\{\s*(date|mission_name|mission_address)\s*\}\}[ \t]*$", re.M)


def without_head_lines(body: str) -> str:
    """The sample's body without the lines that only place the date, name or address.

    Sample letters are written for packets, where the body carries its own
    head; the personal letter prints the date and the recipient itself, so
    keeping these lines would print them twice. Fields used inside a
    sentence ("I write to the {{ mission_name }}") stay.
    """
    text = _HEAD_LINE.sub("", body.replace("\r\n", "\n"))
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")


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

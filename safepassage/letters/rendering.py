"""Letters as PDF: the text on the organisation's letterhead, ready to print or post.

Three looks, chosen by the letter's letterhead:

* designed: the organisation's logo, name, address, phone and website at
  the head of page one and its footer lines (often the whole board) at the
  foot of every page, drawn by WeasyPrint from
  ``templates/letters/pdf/letter.html``;
* uploaded: the NGO's own letterhead PDF. The letter is printed by
  WeasyPrint on a transparent page the letterhead's size, with margins that
  keep clear of the usual head and foot, and the letterhead is then drawn
  under each page: page one over the first-page PDF, later pages over the
  later-pages PDF (or the first-page PDF's second page, if it has one, or
  nothing);
* none: a plain letter headed by the sender's name.

Packets are re-built after crashes and compared by sha256, so the same
version, merge values and letterhead always give the same bytes: the
printing and the laying over are ``lib/pdf.py``'s, which writes no dates
and derives the file identifiers from the input. Nothing is fetched from the
network: the only resources a letter may load are the logo and signature
images passed in explicitly.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from safepassage.events.remembrance import script_language
from safepassage.letters.merge import merge, merge_plain
from safepassage.lib.markdown import render_markdown
from safepassage.lib.pdf import (
    Background,
    Resources,
    html_to_pdf,
    on_backgrounds,
    page_count,
    page_size,
)

if TYPE_CHECKING:
    from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument

TEMPLATE = "letters/pdf/letter.html"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi"})
DEFAULT_ACCENT = "#1f3b63"

A4 = "A4"
DESIGNED_FIRST_MARGIN = "16mm 22mm {bottom}mm 22mm"
DESIGNED_LATER_MARGIN = "20mm 22mm {bottom}mm 22mm"
# An uploaded letterhead is a picture we cannot read: leave room for a head of
# about 5 cm and a foot of about 2.5 cm on page one, less on later pages.
UPLOADED_FIRST_MARGIN = "55mm 22mm 30mm 22mm"
UPLOADED_LATER_MARGIN = "30mm 22mm 25mm 22mm"
PLAIN_MARGIN = "22mm 22mm 22mm 22mm"

# Footer lines are printed in one centred paragraph, about this many
# Latin characters to a line at 7.5 pt across an A4 text width.
_FOOTER_CHARS_PER_LINE = 120
_FOOTER_MM_PER_LINE = 3.8
_FOOTER_MIN_MM = 18.0


# --- What goes on the page -----------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    name: str
    title: str
    lang: str  # "ko"/"ja" for a name in that script, so its glyphs are right
    image_url: str = ""


@dataclass(frozen=True)
class LetterText:
    """The merged, sanitised parts of one letter, ready for the template."""

    subject: str
    body_html: str
    closing: str
    signers: Sequence[Signer] = field(default_factory=tuple)


@dataclass(frozen=True)
class PageSetup:
    size: str
    first_margin: str
    later_margin: str


def accent_colour(letterhead: Letterhead | None) -> str:
    """The letterhead's accent colour, safe to put into CSS."""
    colour = letterhead.accent_colour if letterhead else DEFAULT_ACCENT
    # The database constraint already insists on #rrggbb; this goes into CSS.
    if (
        len(colour) == 7
        and colour[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
    ):
        return colour
    return DEFAULT_ACCENT


def footer_lines(letterhead: Letterhead | None) -> list[str]:
    if letterhead is None or letterhead.kind != "designed":
        return []
    return [line.strip() for line in letterhead.footer_lines.splitlines() if line.strip()]


def _footer_height_mm(lines: Sequence[str]) -> float:
    """Room for the footer: its lines flow together, so estimate the printed rows."""
    if not lines:
        return 20.0
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in " · ".join(lines))
    rows = max(1, math.ceil(width / _FOOTER_CHARS_PER_LINE))
    return max(_FOOTER_MIN_MM, 12.0 + rows * _FOOTER_MM_PER_LINE)


def _sender(letter: Letter) -> str:
    return letter.organisation.name if letter.organisation else letter.campaign.title


def letterhead_head(
    letterhead: Letterhead | None, sender: str, resources: Resources
) -> dict[str, Any]:
    """What the page head prints: plain sender, designed letterhead, or an uploaded PDF under it.

    Images the head shows (the logo) are registered in ``resources``.
    """
    if letterhead is None:
        return {"kind": "plain", "name": sender}
    if letterhead.kind != "designed":
        return {"kind": "uploaded"}
    organisation = letterhead.organisation
    logo_url = ""
    if letterhead.show_logo and organisation.logo:
        logo_url = resources.add("logo", organisation.logo)
    contact = [part for part in (organisation.phone, organisation.website) if part]
    return {
        "kind": "designed",
        "name": organisation.name,
        "address": organisation.postal_address.strip(),
        "contact": contact,
        "logo_url": logo_url,
    }


def _signers(version: LetterVersion, resources: Resources) -> list[Signer]:
    signers = []
    for index, signatory in enumerate(version.signatories.order_by("position", "pk")):
        image_url = ""
        if signatory.signature_image:
            image_url = resources.add(f"signature-{index}", signatory.signature_image)
        signers.append(
            Signer(
                name=signatory.name,
                title=signatory.title,
                lang=script_language(signatory.name + signatory.title),
                image_url=image_url,
            )
        )
    return signers


def _letter_html(
    text: LetterText,
    *,
    letterhead: Letterhead | None,
    head: dict[str, Any],
    language: str,
    title: str,
    page: PageSetup,
) -> str:
    lines = footer_lines(letterhead)
    with translation.override(language):
        return render_to_string(
            TEMPLATE,
            {
                "lang": language,
                "direction": "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr",
                "title": title,
                "page": page,
                "head": head,
                "accent": accent_colour(letterhead),
                "footer_lines": lines,
                "letter": text,
            },
        )


def render_html_pdf(
    text: LetterText,
    *,
    letterhead: Letterhead | None,
    sender: str,
    language: str,
    title: str,
    resources: Resources,
    cache_seconds: int = 0,
) -> bytes:
    """``text`` as a PDF on ``letterhead`` or plain paper (letters and the press release).

    ``cache_seconds``: keep the printed text in the cache (see html_to_pdf).
    """
    head = letterhead_head(letterhead, sender, resources)
    if head["kind"] == "uploaded":
        assert letterhead is not None
        return _render_on_uploaded(
            text,
            letterhead=letterhead,
            language=language,
            title=title,
            resources=resources,
            cache_seconds=cache_seconds,
        )
    if head["kind"] == "designed":
        bottom = _footer_height_mm(footer_lines(letterhead))
        page = PageSetup(
            size=A4,
            first_margin=DESIGNED_FIRST_MARGIN.format(bottom=f"{bottom:.1f}"),
            later_margin=DESIGNED_LATER_MARGIN.format(bottom=f"{bottom:.1f}"),
        )
    else:
        page = PageSetup(size=A4, first_margin=PLAIN_MARGIN, later_margin=PLAIN_MARGIN)
    html = _letter_html(
        text, letterhead=letterhead, head=head, language=language, title=title, page=page
    )
    return html_to_pdf(html, resources, cache_seconds=cache_seconds)


# --- Uploaded letterheads ------------------------------------------------------------


def _read_pdf_field(file: FieldFile) -> bytes:
    with file.open("rb") as handle:
        data: bytes = handle.read()
    return data


def _backgrounds(letterhead: Letterhead) -> tuple[Background, Background | None]:
    """The first page's background, and the one of pages 2 and after (if any)."""
    first = _read_pdf_field(letterhead.first_page)
    if letterhead.later_pages:
        return Background(first), Background(_read_pdf_field(letterhead.later_pages))
    if page_count(first) > 1:
        return Background(first), Background(first, page=1)
    return Background(first), None


def _render_on_uploaded(
    text: LetterText,
    *,
    letterhead: Letterhead,
    language: str,
    title: str,
    resources: Resources,
    cache_seconds: int = 0,
) -> bytes:
    first, later = _backgrounds(letterhead)
    width, height = page_size(first.pdf, first.page)
    page = PageSetup(
        size=f"{width:.2f}pt {height:.2f}pt",
        first_margin=UPLOADED_FIRST_MARGIN,
        later_margin=UPLOADED_LATER_MARGIN,
    )
    html = _letter_html(
        text,
        letterhead=letterhead,
        head={"kind": "uploaded"},
        language=language,
        title=title,
        page=page,
    )
    printed = html_to_pdf(html, resources, cache_seconds=cache_seconds)
    return on_backgrounds(printed, first, later, title=title)


# --- Public functions ----------------------------------------------------------------


def render_letter_pdf(version: LetterVersion, context: Mapping[str, str]) -> bytes:
    """One letter version, its fields filled from ``context``, as PDF bytes.

    The body is Markdown sanitised like the petition text (raw HTML,
    scripts and images dropped); merge values are escaped before the
    Markdown is read. Subject and closing are plain text.
    """
    letter = version.letter
    resources = Resources()
    text = LetterText(
        subject=merge_plain(version.subject, context),
        body_html=render_markdown(merge(version.body, context)),
        closing=merge_plain(version.closing, context),
        signers=_signers(version, resources),
    )
    title = text.subject or letter.campaign.title
    return render_html_pdf(
        text,
        letterhead=letter.letterhead,
        sender=_sender(letter),
        language=letter.language,
        title=title,
        resources=resources,
    )


def render_letterhead_preview(letterhead: Letterhead, *, language: str = "en") -> bytes:
    """A one-page letter of placeholder text on ``letterhead``, to check how it looks."""
    with translation.override(language):
        paragraphs = [
            _("This is where the text of your letter goes."),
            _(
                "It is printed with enough room around it for your letterhead's head and foot. "
                "Check that nothing overlaps, then use this letterhead for your letter."
            ),
        ]
        body = "\n\n".join(paragraphs)
        text = LetterText(
            subject=_("Subject of the letter"),
            body_html=render_markdown(body),
            closing=_("Yours sincerely,"),
            signers=(Signer(name=_("Name of the signatory"), title=_("Their title"), lang=""),),
        )
        title = _("Letterhead preview: %(name)s") % {"name": letterhead.name}
    return render_html_pdf(
        text,
        letterhead=letterhead,
        sender=letterhead.organisation.name,
        language=language,
        title=title,
        resources=Resources(),
    )


def attachment_pdfs(letter: Letter) -> list[SupportingDocument]:
    """The supporting documents sent with ``letter``, in a stable order for packets."""
    return list(letter.attachments.order_by("title", "language", "pk"))

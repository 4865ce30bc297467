"""Letters as PDF: the text on the organisation's letterhead, ready to print or post.

Three looks, chosen by the letter's letterhead:

* designed: the organisation's logo, name, address, phone and website at
  the head of page one and its footer lines (often the whole board) at the
  foot of every page, drawn by WeasyPrint from
  ``templates/letters/pdf/letter.html``;
* uploaded: the NGO's own letterhead PDF. The letter is printed by
  WeasyPrint on a transparent page the letterhead's size, with margins that
  keep clear of the usual head and foot, and each page is then laid over
  the letterhead with pypdf: page one over the first-page PDF, later pages
  over the later-pages PDF (or the first-page PDF's second page, if it has
  one, or nothing);
* none: a plain letter headed by the sender's name.

Packets are re-built after crashes and compared by sha256, so the same
version, merge values and letterhead always give the same bytes: no dates
are written, and both WeasyPrint's and pypdf's file identifiers are derived
from the input. Nothing is fetched from the network: the only resources a
letter may load are the logo and signature images passed in explicitly.
"""

from __future__ import annotations

import hashlib
import io
import math
import mimetypes
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from safepassage.events.remembrance import script_language
from safepassage.letters.merge import merge, merge_plain
from safepassage.lib.markdown import render_markdown

if TYPE_CHECKING:
    from pypdf import PageObject

    from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument

TEMPLATE = "letters/pdf/letter.html"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi"})
ASSET_SCHEME = "safepassage-asset"
DEFAULT_ACCENT = "#1f3b63"
FONT_TIMESTAMP = "946684800"  # 2000-01-01, written into embedded fonts' head tables

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


# --- Resources -----------------------------------------------------------------------


class Resources:
    """The files a letter may load, by the made-up URL the template uses for each."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def add(self, key: str, file: FieldFile) -> str:
        """Read ``file`` now (from any storage) and return the URL that loads it."""
        url = f"{ASSET_SCHEME}:{key}"
        with file.open("rb") as handle:
            data = handle.read()
        mime = mimetypes.guess_type(file.name or "")[0] or "application/octet-stream"
        self.files[url] = (data, mime)
        return url

    def digest(self) -> str:
        hasher = hashlib.sha256()
        for url in sorted(self.files):
            hasher.update(url.encode())
            hasher.update(hashlib.sha256(self.files[url][0]).digest())
        return hasher.hexdigest()


def local_only_fetcher(resources: Mapping[str, tuple[bytes, str]]) -> Any:
    """A WeasyPrint URL fetcher that serves ``resources`` and refuses everything else.

    Refused URLs are kept in the fetcher's ``refused`` list, which is how
    the tests show that a hostile ``<img src="http://...">`` was never
    requested. The fetcher never opens a socket or a file.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnly(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=[ASSET_SCHEME])
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in resources:
                self.refused.append(url)
                raise ValueError(f"letters load only their own images, not {url!r}")
            data, mime = resources[url]
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return LocalOnly()


def html_to_pdf(
    html: str,
    resources: Mapping[str, tuple[bytes, str]],
    *,
    fetcher: Any = None,
    cache_seconds: int = 0,
) -> bytes:
    """HTML to PDF bytes with nothing fetched but ``resources``; reproducible.

    The file identifier is a hash of the HTML and the resources, and the
    template writes no dates, so equal input gives equal bytes. That hash
    also names the PDF in Django's cache when ``cache_seconds`` is given
    (documents made again and again from the same data, like the press kit):
    any change of the input is a new name, so a cached file is never stale.
    """
    hasher = hashlib.sha256(html.encode())
    for url in sorted(resources):
        hasher.update(url.encode() + hashlib.sha256(resources[url][0]).digest())
    digest = hasher.hexdigest()
    key = f"pdf:{digest}"
    if cache_seconds and not fetcher:
        cached = cache.get(key)
        if isinstance(cached, bytes):
            return cached
    from weasyprint import HTML

    # Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which
    # stamps each embedded font with the current time unless this variable
    # (the reproducible-builds convention) fixes it. A value set by the
    # deployment wins.
    os.environ.setdefault("SOURCE_DATE_EPOCH", FONT_TIMESTAMP)
    document = HTML(
        string=html, base_url=None, url_fetcher=fetcher or local_only_fetcher(resources)
    )
    pdf: bytes = document.write_pdf(pdf_identifier=digest[:32].encode())
    if cache_seconds and not fetcher:
        cache.set(key, pdf, cache_seconds)
    return pdf


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
    return html_to_pdf(html, resources.files, cache_seconds=cache_seconds)


# --- Uploaded letterheads ------------------------------------------------------------


def _read_pdf_field(file: FieldFile) -> bytes:
    with file.open("rb") as handle:
        data: bytes = handle.read()
    return data


def _backgrounds(letterhead: Letterhead) -> tuple[bytes, PageObject, PageObject | None]:
    """The first-page PDF's bytes, its first page, and the page for pages 2 and after."""
    from pypdf import PdfReader

    first_bytes = _read_pdf_field(letterhead.first_page)
    first_reader = PdfReader(io.BytesIO(first_bytes))
    later: PageObject | None = None
    if letterhead.later_pages:
        later = PdfReader(io.BytesIO(_read_pdf_field(letterhead.later_pages))).pages[0]
    elif len(first_reader.pages) > 1:
        later = first_reader.pages[1]
    return first_bytes, first_reader.pages[0], later


def _render_on_uploaded(
    text: LetterText,
    *,
    letterhead: Letterhead,
    language: str,
    title: str,
    resources: Resources,
    cache_seconds: int = 0,
) -> bytes:
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.generic import ArrayObject, ByteStringObject

    first_bytes, first, later = _backgrounds(letterhead)
    box = first.mediabox
    width, height = float(box.width), float(box.height)
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
    printed = PdfReader(io.BytesIO(html_to_pdf(html, resources.files, cache_seconds=cache_seconds)))

    writer = PdfWriter()
    for index, letter_page in enumerate(printed.pages):
        background = first if index == 0 else later
        if background is None:
            writer.add_page(letter_page)
            continue
        # A fresh page each time: pages added twice from one source would share
        # one object, and the letter text of every page would pile up on it.
        target = writer.add_blank_page(width=width, height=height)
        origin = background.mediabox
        target.merge_transformed_page(
            background, Transformation().translate(-float(origin.left), -float(origin.bottom))
        )
        target.merge_page(letter_page)
        target.compress_content_streams()

    digest = hashlib.sha256(html.encode())
    digest.update(hashlib.sha256(first_bytes).digest())
    if letterhead.later_pages:
        digest.update(hashlib.sha256(_read_pdf_field(letterhead.later_pages)).digest())
    digest.update(resources.digest().encode())
    identifier = ByteStringObject(digest.digest()[:16])
    # pypdf only writes /ID when asked; a fixed one keeps re-builds byte-identical.
    writer._ID = ArrayObject([identifier, identifier])
    writer.add_metadata({"/Producer": "safepassage", "/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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

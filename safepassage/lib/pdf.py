"""PDFs that come out the same, byte for byte, every time they are made from the same input.

Letters, packets, the after-action report, the press kit and the reading
script of the remembrance are all compared or cached by their bytes, so
every PDF the application writes goes through here:

* ``html_to_pdf`` prints HTML with WeasyPrint, fetching nothing but the
  ``Resources`` handed in (any other URL, file or network, is refused);
* ``merge``, ``first_page`` and ``on_backgrounds`` join, cut and lay pages
  over letterheads with pikepdf (qpdf), the one PDF library of the project:
  it is the packet builder's (several times faster than pure-Python readers
  for lists of hundreds of pages) and it has public APIs for everything
  else needed, a deterministic /ID included;
* ``check_readable`` opens an uploaded PDF the way the packet builder will.

What makes the bytes repeat: creation and modification dates are written
only when a build time is given, and are then that time; otherwise there
are none, whatever the HTML says. The /ID is a hash of the input (WeasyPrint)
or of the written file (qpdf's deterministic ID). Embedded fonts carry a
fixed timestamp. Metadata written here is the title and the producer.

The signer list of packets is not printed here: ``packets/listpdf.py``
writes it directly (a layout engine is far too slow for a million rows),
with the producer and the /ID rule of this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import mimetypes
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.cache import cache as django_cache

if TYPE_CHECKING:
    import pikepdf
    from django.core.files import File

PRODUCER = "safepassage"
ASSET_SCHEME = "safepassage-asset"
# Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which
# stamps each embedded font with the current time unless SOURCE_DATE_EPOCH
# (the reproducible-builds convention) fixes it. A value set by the
# deployment wins.
FONT_TIMESTAMP = "946684800"  # 2000-01-01


class UnreadablePdf(ValueError):
    """The data cannot be opened as a PDF, or a part of it cannot be read."""


class EncryptedPdf(UnreadablePdf):
    """The PDF is protected by a password or encrypted."""


def document_id(*parts: bytes | str) -> str:
    """32 hex digits naming a PDF by everything that went into it (its /ID)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(b"%d:" % len(data))
        hasher.update(data)
    return hasher.hexdigest()[:32]


def _utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC).replace(microsecond=0)


def pdf_date(when: dt.datetime) -> str:
    """``when`` in the form of a PDF date (``D:20260901120000Z``), in UTC."""
    return _utc(when).strftime("D:%Y%m%d%H%M%SZ")


# --- HTML to PDF ---------------------------------------------------------------------


class Resources:
    """The files a document may load, by the made-up URL its HTML uses for each."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def add(self, key: str, file: File[Any]) -> str:
        """Read ``file`` now (from any storage) and return the URL that loads it."""
        with file.open("rb") as handle:
            data: bytes = handle.read()
        mime = mimetypes.guess_type(file.name or "")[0] or "application/octet-stream"
        return self.add_bytes(key, data, mime)

    def add_bytes(self, key: str, data: bytes, mime: str) -> str:
        url = f"{ASSET_SCHEME}:{key}"
        self.files[url] = (data, mime)
        return url

    def parts(self) -> list[bytes | str]:
        """What identifies the resources, in a fixed order (for the document's /ID)."""
        parts: list[bytes | str] = []
        for url in sorted(self.files):
            data, mime = self.files[url]
            parts += [url, mime, hashlib.sha256(data).digest()]
        return parts


@cache
def _local_only_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnly(URLFetcher):  # type: ignore[misc]
        def __init__(self, files: Mapping[str, tuple[bytes, str]]) -> None:
            super().__init__(allowed_protocols=[ASSET_SCHEME], allow_redirects=False)
            self.files = files
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in self.files:
                self.refused.append(url)
                raise ValueError(f"this document loads only its own resources, not {url!r}")
            data, mime = self.files[url]
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return LocalOnly


def local_only_fetcher(resources: Resources | None = None) -> Any:
    """A WeasyPrint URL fetcher that serves ``resources`` and refuses everything else.

    Refused URLs are kept in the fetcher's ``refused`` list, which is how
    the tests show that a hostile ``<img src="http://...">`` was never
    requested. The fetcher never opens a socket or a file.
    """
    return _local_only_class()(resources.files if resources else {})


def html_to_pdf(
    html: str,
    resources: Resources | None = None,
    *,
    built_at: dt.datetime | None = None,
    cache_seconds: int = 0,
    fetcher: Any = None,
) -> bytes:
    """HTML to PDF bytes with nothing fetched but ``resources``; reproducible.

    ``built_at``: the creation and modification date to write (none without).
    The /ID is a hash of the HTML, the resources and that date, so equal
    input gives equal bytes. The same hash names the PDF in Django's cache
    when ``cache_seconds`` is given (documents made again and again from the
    same data, like the press kit): any change of the input is a new name, so
    a cached file is never stale. ``fetcher`` replaces the local-only one
    (the tests use it to see what was refused); nothing is cached then.
    """
    resources = resources or Resources()
    when = _utc(built_at).isoformat().replace("+00:00", "Z") if built_at else ""
    identifier = document_id(html, *resources.parts(), when)
    key = f"pdf:{identifier}"
    use_cache = bool(cache_seconds) and fetcher is None
    if use_cache:
        cached = django_cache.get(key)
        if isinstance(cached, bytes):
            return cached
    from weasyprint import HTML

    os.environ.setdefault("SOURCE_DATE_EPOCH", FONT_TIMESTAMP)
    document = HTML(
        string=html, base_url=None, url_fetcher=fetcher or local_only_fetcher(resources)
    ).render()
    # Dates come from the build time only, never from the HTML's <meta> or the clock.
    document.metadata.created = document.metadata.modified = when or None
    pdf: bytes = document.write_pdf(pdf_identifier=identifier.encode())
    if use_cache:
        django_cache.set(key, pdf, cache_seconds)
    return pdf


# --- Joining, cutting, laying over ---------------------------------------------------


def _open(data: bytes) -> pikepdf.Pdf:
    import pikepdf

    return pikepdf.open(io.BytesIO(data))


def _save(pdf: pikepdf.Pdf, *, title: str, built_at: dt.datetime | None) -> bytes:
    """Write ``pdf`` with only a title and the producer (and the build time) as metadata."""
    import pikepdf

    info = pikepdf.Dictionary(Producer=pikepdf.String(PRODUCER))
    if title:
        info.Title = pikepdf.String(title)
    if built_at is not None:
        info.CreationDate = info.ModDate = pikepdf.String(pdf_date(built_at))
    pdf.docinfo = pdf.make_indirect(info)
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return out.getvalue()


def merge(
    parts: Sequence[bytes], *, title: str, built_at: dt.datetime | None = None
) -> tuple[bytes, int]:
    """The pages of ``parts`` one after the other, and their number.

    Only the pages come over: no metadata, outline or XMP of any input.
    """
    import pikepdf

    merged = pikepdf.new()
    sources = []
    try:
        for part in parts:
            source = _open(part)
            sources.append(source)
            merged.pages.extend(source.pages)
        return _save(merged, title=title, built_at=built_at), len(merged.pages)
    finally:
        for source in sources:
            source.close()


def first_page(pdf: bytes, *, built_at: dt.datetime | None = None) -> bytes:
    """Page one of ``pdf`` alone, under the document's title."""
    import pikepdf

    with _open(pdf) as source:
        single = pikepdf.new()
        single.pages.append(source.pages[0])
        title = str(source.docinfo.get("/Title", ""))
        return _save(single, title=title, built_at=built_at)


def page_count(pdf: bytes) -> int:
    with _open(pdf) as document:
        return len(document.pages)


def page_size(pdf: bytes, index: int = 0) -> tuple[float, float]:
    """Width and height in points of page ``index`` of ``pdf``."""
    import pikepdf

    with _open(pdf) as document:
        box = pikepdf.Rectangle(document.pages[index].mediabox)
        return float(box.width), float(box.height)


@dataclass(frozen=True)
class Background:
    """A page of another PDF (a letterhead) to draw under a document's pages."""

    pdf: bytes
    page: int = 0


def on_backgrounds(
    pdf: bytes,
    first: Background | None,
    later: Background | None,
    *,
    title: str,
    built_at: dt.datetime | None = None,
) -> bytes:
    """``pdf`` with ``first`` drawn under page one and ``later`` under the others.

    The pages of ``pdf`` should have the size of the backgrounds; each
    background is placed at its own size, its lower left corner at the
    page's, and stored once however many pages show it.
    """
    import pikepdf

    opened: list[pikepdf.Pdf] = []
    try:
        document = _open(pdf)
        opened.append(document)
        forms: dict[Background, tuple[pikepdf.Object, pikepdf.Name, pikepdf.Rectangle]] = {}

        def form(background: Background) -> tuple[pikepdf.Object, pikepdf.Name, pikepdf.Rectangle]:
            if background not in forms:
                source = _open(background.pdf)
                opened.append(source)
                page = source.pages[background.page]
                media = pikepdf.Rectangle(page.mediabox)
                trim = pikepdf.Rectangle(page.trimbox)  # the form's bounding box
                place = pikepdf.Rectangle(
                    trim.llx - media.llx,
                    trim.lly - media.lly,
                    trim.urx - media.llx,
                    trim.ury - media.lly,
                )
                xobject = document.copy_foreign(page.as_form_xobject())
                # A fixed name: Page.add_underlay would pick a random one.
                name = pikepdf.Name(f"/SafepassageBackground{len(forms)}")
                forms[background] = (xobject, name, place)
            return forms[background]

        for index, page in enumerate(document.pages):
            background = first if index == 0 else later
            if background is not None:
                xobject, name, place = form(background)
                page.add_resource(xobject, pikepdf.Name.XObject, name)
                page.contents_add(
                    page.calc_form_xobject_placement(xobject, name, place), prepend=True
                )
        return _save(document, title=title, built_at=built_at)
    finally:
        for each in opened:
            each.close()


def check_readable(data: bytes, *, max_pages: int | None = None) -> int:
    """Open ``data`` as the packet builder will and read every page; its page count.

    Raises ``EncryptedPdf`` for a protected file and ``UnreadablePdf`` for
    one that is not a PDF or whose pages cannot all be read. A file of more
    than ``max_pages`` pages is counted but not read (the caller refuses it).
    """
    import pikepdf

    try:
        with _open(data) as document:
            if document.is_encrypted:
                raise EncryptedPdf("the PDF is encrypted")
            if max_pages is not None and len(document.pages) > max_pages:
                return len(document.pages)
            for page in document.pages:
                page.mediabox  # noqa: B018 - reading it resolves the page's inherited attributes
                contents = page.obj.get("/Contents")
                streams = contents if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream):
                        stream.read_bytes()
            return len(document.pages)
    except pikepdf.PasswordError as error:
        raise EncryptedPdf(str(error)) from error
    except UnreadablePdf:
        raise
    except (pikepdf.PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise UnreadablePdf(str(e)) from e

"""The signer list of a delivery packet, written directly as PDF.

A layout engine renders a big HTML table at a few hundred rows a second; a
delivery build prints a million rows. So the list pages are written here as
PDF content streams: fixed columns, one line per signer, values shortened to
their column with an ellipsis. Fonts come from safepassage/packets/fonts.py.

How the work is split, and why:

* Rows stream in and each finished page is compressed and appended to the
  output at once, so memory holds one page of rows plus the compressed
  output, never the rows themselves.
* Plain Latin/Greek/Cyrillic values take a fast path: one ``str.translate``
  to glyph codes and a sum of advance widths. Everything else (CJK, Arabic,
  Hebrew, combining marks, bidi, characters no font has) goes through the
  general path with HarfBuzz shaping and the Unicode bidi algorithm.
* "Page X of Y" is a small second content stream per page, written after the
  last row when Y is known.
* Cells whose drawn glyphs do not spell their text in order (shaped or
  reordered scripts, the fallback glyph) carry /ActualText, so text
  extraction gives back the logical text.

Output is deterministic: no dates, and the file /ID is a hash of the content
(``lib.pdf.document_id``), the metadata only the title and ``lib.pdf.PRODUCER``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from safepassage.lib.pdf import PRODUCER
from safepassage.packets.listlayout import (
    A4,
    BODY_SIZE,
    FOOTER_SIZE,
    FOOTER_Y,
    HEADER_SIZE,
    MARGIN_X,
    NOTE_PITCH,
    NOTE_SIZE,
    ROW_PITCH,
    SUBTITLE_SIZE,
    TABLE_BOTTOM,
    TITLE_SIZE,
    geometry,
    rows_per_page,
)
from safepassage.packets.listtext import (
    CHAIN,
    RESOURCE,
    Cell,
    Typesetter,
    display_text,
    num,
    pdf_text,
)
from safepassage.packets.pdfobjects import Page, PdfWriter, write_font

__all__ = ["A4", "ListResult", "ListRow", "display_text", "render_signer_list", "rows_per_page"]


@dataclass(frozen=True)
class ListRow:
    """One signer line of the list, already decided to be publishable by the caller."""

    number: int
    name: str
    city: str
    region: str
    country: str


@dataclass(frozen=True)
class ListResult:
    """The rendered list and what it contains."""

    pdf: bytes
    pages: int
    rows: int


class _Document:
    """State of one list being written: geometry, the current page, finished pages."""

    def __init__(
        self,
        *,
        title: str,
        subtitle: str,
        headers: tuple[str, str, str, str, str],
        language: str,
        page_size: tuple[float, float],
        notes: Sequence[str] = (),
    ) -> None:
        self.title = display_text(title)
        self.subtitle = display_text(subtitle)
        self.notes = [display_text(note) for note in notes if note.strip()]
        self.headers = tuple(display_text(h) for h in headers)
        self.language = language
        self.geo = geometry(page_size, bool(self.subtitle), len(self.notes))
        self.typesetter = Typesetter(language)
        self.writer = PdfWriter()
        self.bodies: list[int] = []
        self.page: Page | None = None
        self.slot = 0
        self.capacity = 0
        self.header_y = 0.0
        geo = self.geo
        self._x = [f"1 0 0 1 {num(x)} " for x in geo.col_x]
        self._number_right = geo.col_x[0]
        self._band_x = num(MARGIN_X - 2)
        self._band_w = f"{num(geo.table_w + 4)} {num(ROW_PITCH)}"
        self._caches: tuple[dict[str, tuple[str, str, str]], ...] = ({}, {}, {}, {})
        common = self.typesetter.common
        self._number_hex = {ord(d): common.hex_table[ord(d)] for d in "0123456789-"}
        self._number_width = {d: common.width_of[d] for d in "0123456789-"}

    def put(self, page: Page, cell: Cell, x: float, y: float, size: float) -> None:
        out = page.text
        out.append(f"1 0 0 1 {num(x)} {num(y)} Tm")
        if cell.actual is not None:
            out.append(f"/Span<</ActualText{pdf_text(cell.actual)}>>BDC")
        for font, ops in cell.segments:
            key = f"/{font} {num(size)} Tf"
            if key != page.font:
                out.append(key)
                page.font = key
            out.append(ops)
        if cell.actual is not None:
            out.append("EMC")

    def new_page(self) -> None:
        if self.page is not None:
            self.finish_page()
        geo = self.geo
        page = Page()
        first = not self.bodies
        if first:
            typeset = self.typesetter.layout
            self.put(
                page,
                typeset(self.title, TITLE_SIZE, geo.table_w, bold=True),
                MARGIN_X,
                geo.title_y,
                TITLE_SIZE,
            )
            if self.subtitle:
                cell = typeset(self.subtitle, SUBTITLE_SIZE, geo.table_w)
                self.put(page, cell, MARGIN_X, geo.subtitle_y, SUBTITLE_SIZE)
            for index, note in enumerate(self.notes):
                cell = typeset(note, NOTE_SIZE, geo.table_w)
                self.put(page, cell, MARGIN_X, geo.notes_y - index * NOTE_PITCH, NOTE_SIZE)
            self.header_y = geo.first_header_y
            self.capacity = geo.first_capacity
        else:
            self.header_y = geo.header_y
            self.capacity = geo.capacity
        self.write_header(page)
        self.page = page
        self.slot = 0

    def write_header(self, page: Page) -> None:
        geo = self.geo
        y = self.header_y
        rule_y = y - 4.5
        page.graphics.append(
            f"0.5 w 0.3 G {num(MARGIN_X)} {num(rule_y)} m "
            f"{num(MARGIN_X + geo.table_w)} {num(rule_y)} l S"
        )
        typeset = self.typesetter.layout
        number = typeset(self.headers[0], HEADER_SIZE, geo.col_w[0], bold=True)
        self.put(page, number, geo.col_x[0] - number.width, y, HEADER_SIZE)
        for column in range(1, 5):
            cell = typeset(self.headers[column], HEADER_SIZE, geo.col_w[column], bold=True)
            self.put(page, cell, geo.col_x[column], y, HEADER_SIZE)

    def add_row(self, row: ListRow) -> None:
        if self.page is None or self.slot >= self.capacity:
            self.new_page()
        page = self.page
        assert page is not None
        geo = self.geo
        y = self.header_y - 17.0 - self.slot * ROW_PITCH
        y_text = num(y)
        if self.slot % 2 == 1:
            page.graphics.append(f"{self._band_x} {num(y - 3.6)} {self._band_w} re f")
        parts = [self._number_ops(row.number, y_text)]
        font = "/F1 9 Tf"
        if page.font != font:
            parts.insert(0, font)
        xs = self._x
        for column, value, cache in (
            (1, row.name, self._caches[0]),
            (2, row.city, self._caches[1]),
            (3, row.region, self._caches[2]),
            (4, row.country, self._caches[3]),
        ):
            compiled = cache.get(value)
            if compiled is None:
                compiled = self._compile(
                    self.typesetter.layout(display_text(value), BODY_SIZE, geo.col_w[column])
                )
                if len(cache) > 100_000:
                    cache.clear()
                cache[value] = compiled
            first, ops, last = compiled
            if not ops:
                continue
            parts.append(xs[column] + y_text + " Tm")
            if first != font:
                parts.append(first)
            parts.append(ops)
            font = last
        page.text.append("\n".join(parts))
        page.font = font
        self.slot += 1

    def _number_ops(self, number: int, y_text: str) -> str:
        digits = str(number)
        codes = digits.translate(self._number_hex)
        if len(codes) != 4 * len(digits):  # not a plain number; cannot happen with an int
            raise ValueError(f"row number {number!r} is not printable")
        width = sum(map(self._number_width.__getitem__, digits)) * BODY_SIZE / 1000.0
        return f"1 0 0 1 {num(self._number_right - width)} {y_text} Tm <{codes}>Tj"

    def _compile(self, cell: Cell) -> tuple[str, str, str]:
        """Body-size operators of ``cell``: (first font selector, operators, last font selector)."""
        parts: list[str] = []
        first = last = ""
        if cell.actual is not None:
            parts.append(f"/Span<</ActualText{pdf_text(cell.actual)}>>BDC")
        for font, ops in cell.segments:
            key = f"/{font} {num(BODY_SIZE)} Tf"
            if not first:
                first = last = key
            elif key != last:
                parts.append(key)
                last = key
            parts.append(ops)
        if cell.actual is not None:
            parts.append("EMC")
        if cell.actual is not None and first:
            parts.insert(0, first)  # select the font before the marked span
        return first, "\n".join(parts), last

    def add_totals(self, totals: Sequence[str]) -> None:
        lines = [display_text(t) for t in totals]
        if self.page is None:
            self.new_page()
        geo = self.geo
        y = self.header_y - 17.0 - self.slot * ROW_PITCH - 6.0
        for line in lines:
            if y < TABLE_BOTTOM:
                self.new_page()
                y = self.header_y - 17.0
            cell = self.typesetter.layout(line, BODY_SIZE, geo.table_w)
            self.put(self.page_or_fail(), cell, MARGIN_X, y, BODY_SIZE)
            y -= ROW_PITCH

    def page_or_fail(self) -> Page:
        assert self.page is not None
        return self.page

    def finish_page(self) -> None:
        page = self.page_or_fail()
        # Row bodies use "/Fn 9 Tf" directly; reset font state per page.
        content = (
            "0.95 g\n" + "\n".join(page.graphics) + "\n0 g\nBT\n" + "\n".join(page.text) + "\nET\n"
        )
        self.bodies.append(self.writer.stream(content.encode("ascii")))
        self.page = None

    def finish(self, page_label: str) -> bytes:
        if self.page is not None:
            self.finish_page()
        geo = self.geo
        writer = self.writer
        total = len(self.bodies)
        footers = []
        for index in range(total):
            label = page_label.replace("{pages}", str(total)).replace("{page}", str(index + 1))
            cell = self.typesetter.layout(display_text(label), FOOTER_SIZE, geo.table_w)
            page = Page()
            self.put(page, cell, geo.width - MARGIN_X - cell.width, FOOTER_Y, FOOTER_SIZE)
            footers.append(
                writer.stream(("0 g\nBT\n" + "\n".join(page.text) + "\nET\n").encode("ascii"))
            )
        used = self.typesetter.used
        common = self.typesetter.common
        sans_used = {code: (code, text) for code, text in common.to_unicode.items()}
        for code, value in used.get("sans", {}).items():
            sans_used.setdefault(code, value)
        font_refs = [
            f"/{RESOURCE['sans']} {write_font(writer, self.typesetter.sans, sans_used)} 0 R"
        ]
        faces = {key: face for key, face in zip(CHAIN, self.typesetter.faces, strict=True)}
        faces["bold"] = self.typesetter.bold
        for key in ("bold", *CHAIN[1:]):
            if used.get(key):
                font_refs.append(
                    f"/{RESOURCE[key]} {write_font(writer, faces[key], used[key])} 0 R"
                )
        resources = writer.write(f"<</Font<<{''.join(font_refs)}>>>>".encode())
        root = writer.reserve()
        pages_root = writer.reserve()
        media = f"[0 0 {num(geo.width)} {num(geo.height)}]"
        page_objs = [writer.reserve() for _ in range(total)]
        # A two-level page tree keeps every /Kids array short for long lists.
        groups = [page_objs[i : i + 128] for i in range(0, total, 128)]
        if len(groups) > 1:
            group_objs = [writer.reserve() for _ in groups]
            parents = {}
            for group_obj, group in zip(group_objs, groups, strict=True):
                kids = " ".join(f"{n} 0 R" for n in group)
                writer.write(
                    f"<</Type/Pages/Parent {pages_root} 0 R"
                    f"/Kids[{kids}]/Count {len(group)}>>".encode(),
                    group_obj,
                )
                parents.update(dict.fromkeys(group, group_obj))
            top_kids = group_objs
        else:
            parents = dict.fromkeys(page_objs, pages_root)
            top_kids = page_objs
        for page_obj, body, footer in zip(page_objs, self.bodies, footers, strict=True):
            writer.write(
                (
                    f"<</Type/Page/Parent {parents[page_obj]} 0 R/MediaBox {media}"
                    f"/Resources {resources} 0 R"
                    f"/Contents[{body} 0 R {footer} 0 R]>>"
                ).encode(),
                page_obj,
            )
        kids = " ".join(f"{n} 0 R" for n in top_kids)
        writer.write(f"<</Type/Pages/Kids[{kids}]/Count {total}>>".encode(), pages_root)
        lang = "".join(ch for ch in self.language if ch.isalnum() or ch == "-")[:35] or "en"
        writer.write(
            (
                f"<</Type/Catalog/Pages {pages_root} 0 R/Lang({lang})"
                f"/ViewerPreferences<</DisplayDocTitle true>>>>"
            ).encode(),
            root,
        )
        info = writer.write(
            f"<</Title{pdf_text(self.title)}/Producer{pdf_text(PRODUCER)}>>".encode()
        )
        return writer.finish(root, info)


def render_signer_list(
    rows: Iterable[ListRow],
    *,
    title: str,
    subtitle: str = "",
    notes: Sequence[str] = (),
    headers: tuple[str, str, str, str, str],
    totals: Sequence[str],
    page_label: str = "Page {page} of {pages}",
    language: str = "en",
    page_size: tuple[float, float] = A4,
) -> ListResult:
    """Write the signer list as a PDF: title, a table with a header on every page, totals.

    ``notes`` are lines printed on page one under the subtitle (the mission's
    address and how fresh it is).

    ``rows`` is consumed once, in order, and may be a generator of a million
    rows; only the compressed page streams are kept. Values are cleaned with
    ``display_text`` and shortened to their column with an ellipsis.
    """
    document = _Document(
        title=title,
        subtitle=subtitle,
        headers=headers,
        language=language,
        page_size=page_size,
        notes=notes,
    )
    count = 0
    for row in rows:
        document.add_row(row)
        count += 1
    document.add_totals(totals)
    pdf = document.finish(page_label)
    return ListResult(pdf=pdf, pages=len(document.bodies), rows=count)

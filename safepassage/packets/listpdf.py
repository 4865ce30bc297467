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

Output is deterministic: no dates, and the file /ID is a hash of the content.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import uharfbuzz as hb  # type: ignore[import-untyped]
from bidi import algorithm as bidi_algorithm  # type: ignore[import-untyped]

from safepassage.packets.fonts import Face, cjk_face_for_language, common_set, get_face

A4 = (595.28, 841.89)

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


# --- text clean-up -----------------------------------------------------------

ELLIPSIS = "\u2026"
ZWNJ, ZWJ = "\u200c", "\u200d"
FALLBACK = "\ufffd"  # drawn for characters no installed outline font covers

# Characters that never reach the page: C0/C1 controls, format characters
# (bidi embeddings/overrides/isolates and marks, zero-width space, soft
# hyphen, BOM, tag characters...), surrogates and noncharacters. ZWJ/ZWNJ
# stay: they change how Arabic and emoji sequences join.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_SPACE_CATEGORIES = frozenset({"Zs", "Zl", "Zp"})
_SPACES = re.compile(" {2,}")


@functools.cache
def _unwanted() -> re.Pattern[str]:
    """A character class of everything ``display_text`` drops or turns into a space."""
    ranges: list[str] = []
    start = -1
    for cp in range(0x110000 + 1):
        ch = chr(cp) if cp < 0x110000 else ""
        bad = (
            bool(ch)
            and ch not in (ZWJ, ZWNJ, " ")
            and (
                unicodedata.category(ch) in _DROPPED_CATEGORIES
                or unicodedata.category(ch) in _SPACE_CATEGORIES
            )
        )
        if bad and start < 0:
            start = cp
        elif not bad and start >= 0:
            ranges.append(f"\\U{start:08x}-\\U{cp - 1:08x}")
            start = -1
    return re.compile("[" + "".join(ranges) + "]")


def display_text(value: str) -> str:
    """What the list prints for ``value``: NFC, no control or bidi-control characters.

    Bidi controls would let one value reorder the rest of its line, and
    control characters can break viewers, so both go; odd spaces become plain
    spaces and runs of spaces collapse. Text extraction of the PDF returns
    exactly this string (unless the column shortened it).
    """
    if not value:
        return ""
    if value.isascii():
        clean = value.isprintable()
    else:
        clean = _unwanted().search(value) is None and unicodedata.is_normalized("NFC", value)
    if not clean:
        value = unicodedata.normalize("NFC", value)
        kept = []
        for ch in value:
            if ch in (ZWJ, ZWNJ):
                kept.append(ch)
                continue
            category = unicodedata.category(ch)
            if ch in "\t\n\r\x0b\x0c\x85" or category in _SPACE_CATEGORIES:
                kept.append(" ")
            elif category not in _DROPPED_CATEGORIES:
                kept.append(ch)
        value = "".join(kept)
    if "  " in value:
        value = _SPACES.sub(" ", value)
    return value.strip(" ")


# --- layout ------------------------------------------------------------------

BODY_SIZE = 9.0
HEADER_SIZE = 9.0
TITLE_SIZE = 14.0
SUBTITLE_SIZE = 9.0
FOOTER_SIZE = 8.5
ROW_PITCH = 13.5
MARGIN_X = 42.0
MARGIN_TOP = 42.0
TABLE_BOTTOM = 58.0
FOOTER_Y = 30.0
COLUMN_GAP = 8.0
COLUMN_SHARES = (0.34, 0.24, 0.21, 0.21)  # name, city, region, country of what the number leaves


@dataclass(frozen=True)
class _Geometry:
    width: float
    height: float
    col_x: tuple[float, ...]  # left edge of each column (number column: right edge)
    col_w: tuple[float, ...]
    table_w: float
    title_y: float
    subtitle_y: float
    first_header_y: float
    header_y: float
    first_capacity: int
    capacity: int

    def row_y(self, header_y: float, slot: int) -> float:
        return header_y - 17.0 - slot * ROW_PITCH


def _geometry(page_size: tuple[float, float], has_subtitle: bool) -> _Geometry:
    width, height = page_size
    table_w = width - 2 * MARGIN_X
    number_w = 38.0
    rest = table_w - number_w - 4 * COLUMN_GAP
    widths = [number_w] + [rest * share for share in COLUMN_SHARES]
    xs = [MARGIN_X + number_w]  # right edge: numbers are right-aligned
    x = MARGIN_X + number_w + COLUMN_GAP
    for w in widths[1:]:
        xs.append(x)
        x += w + COLUMN_GAP
    top = height - MARGIN_TOP
    title_y = top - TITLE_SIZE
    subtitle_y = title_y - 16.0
    first_header_y = (subtitle_y if has_subtitle else title_y) - 24.0
    header_y = top - HEADER_SIZE

    def capacity(header: float) -> int:
        return int((header - 17.0 - TABLE_BOTTOM) // ROW_PITCH) + 1

    return _Geometry(
        width=width,
        height=height,
        col_x=tuple(round(v, 2) for v in xs),
        col_w=tuple(round(v, 2) for v in widths),
        table_w=table_w,
        title_y=title_y,
        subtitle_y=subtitle_y,
        first_header_y=first_header_y,
        header_y=header_y,
        first_capacity=capacity(first_header_y),
        capacity=capacity(header_y),
    )


def rows_per_page(
    page_size: tuple[float, float] = A4, *, first: bool = False, subtitle: bool = True
) -> int:
    """How many signer rows fit on a page (page one also carries the title)."""
    geometry = _geometry(page_size, subtitle)
    return geometry.first_capacity if first else geometry.capacity


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pdf_text(value: str) -> str:
    """A PDF text string (UTF-16BE with BOM, hex) safe for any content."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


# Font resource names per font key; fixed so pages can be written before the
# document knows which fonts it uses.
_RESOURCE = {
    "sans": "F1",
    "bold": "F2",
    "cjk": "F3",
    "arabic": "F4",
    "hebrew": "F5",
    "symbols2": "F6",
    "symbols": "F7",
}
_CHAIN = ("sans", "cjk", "arabic", "hebrew", "symbols2", "symbols")
_SHAPED_FONTS = frozenset({"arabic", "hebrew"})


@dataclass
class _Cell:
    """A laid-out single line: content operators per font, its width in points."""

    segments: tuple[tuple[str, str], ...]  # (font resource name, operators)
    width: float
    actual: str | None = None  # /ActualText when glyph order differs from the text
    glyphs: tuple[tuple[str, int, int, str], ...] = ()  # (font key, code, gid, text) to register


@dataclass
class _Run:
    face: int  # index into the chain, -1 = no font covers it
    level: int
    text: str


def _levels(text: str) -> list[int]:
    """Resolved bidi embedding level of each character of ``text`` (rules P2-I2)."""
    # The algorithm drops boundary-neutral characters (ZWJ, ZWNJ) in X9; give
    # them the level of the character before them afterwards.
    kept = [i for i, ch in enumerate(text) if unicodedata.bidirectional(ch) != "BN"]
    core = "".join(text[i] for i in kept)
    storage = bidi_algorithm.get_empty_storage()
    base = bidi_algorithm.get_base_level(core)
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    bidi_algorithm.get_embedding_levels(core, storage)
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    core_levels = [c["level"] for c in storage["chars"]]
    levels = [base] * len(text)
    for i, level in zip(kept, core_levels, strict=True):
        levels[i] = level
    for i, ch in enumerate(text):
        if i and unicodedata.bidirectional(ch) == "BN":
            levels[i] = levels[i - 1]
    return levels


def _visual_order(runs: list[_Run]) -> list[_Run]:
    """Reorder level runs for display (bidi rule L2)."""
    if not runs:
        return runs
    order = list(runs)
    highest = max(r.level for r in order)
    lowest_odd = min((r.level for r in order if r.level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i].level >= level:
                j = i
                while j < len(order) and order[j].level >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


class _Typesetter:
    """Lays out single lines of text for one document and records the glyphs used."""

    def __init__(self, language: str) -> None:
        self.faces: list[Face] = [
            get_face(key, cjk_face_for_language(language) if key == "cjk" else 0) for key in _CHAIN
        ]
        self.bold = get_face("bold")
        self.common = common_set("sans")
        self.sans = self.faces[0]
        self.fast_hex = self.common.hex_table
        self.fast_width = self.common.width_of
        self.cache: dict[tuple[str, float, float], _Cell] = {}
        # font key -> code -> (gid, text it stands for)
        self.used: dict[str, dict[int, tuple[int, str]]] = {}
        self._face_of_char: dict[str, int] = {}

    # The fast path: plain characters of the common Noto Sans set.
    def fast(self, text: str, size: float, max_width: float) -> tuple[str, float] | None:
        codes = text.translate(self.fast_hex)
        if len(codes) != 4 * len(text):
            return None
        widths = self.fast_width
        scale = size / 1000.0
        width = sum(map(widths.__getitem__, text)) * scale
        if width > max_width:
            limit = max_width - widths[ELLIPSIS] * scale
            total = 0.0
            cut = 0
            for ch in text:
                total += widths[ch] * scale
                if total > limit:
                    break
                cut += 1
            text = text[:cut].rstrip(" ") + ELLIPSIS
            codes = text.translate(self.fast_hex)
            width = sum(map(widths.__getitem__, text)) * scale
        return codes, width

    def register(self, cell: _Cell) -> None:
        for key, code, gid, text in cell.glyphs:
            self.used.setdefault(key, {}).setdefault(code, (gid, text))

    def layout(self, text: str, size: float, max_width: float, bold: bool = False) -> _Cell:
        """Lay ``text`` out on one line no wider than ``max_width`` points."""
        key = (text, size, max_width if not bold else -max_width)
        cell = self.cache.get(key)
        if cell is None:
            if not bold:
                fast = self.fast(text, size, max_width)
                if fast is not None:
                    codes, width = fast
                    cell = _Cell(((_RESOURCE["sans"], f"<{codes}>Tj"),), width)
            if cell is None:
                cell = self._general(text, size, max_width, bold)
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[key] = cell
        if cell.glyphs:
            self.register(cell)
        return cell

    def _face_index(self, ch: str) -> int:
        found = self._face_of_char.get(ch)
        if found is None:
            cp = ord(ch)
            found = next((i for i, face in enumerate(self.faces) if cp in face.cmap), -1)
            self._face_of_char[ch] = found
        return found

    def _general(self, text: str, size: float, max_width: float, bold: bool) -> _Cell:
        cell = self._general_untruncated(text, size, bold)
        if cell.width <= max_width:
            return cell
        # Shorten the logical text (so bidi and shaping see a real prefix),
        # never between a character and the marks or joiners that follow it.
        low, high = 0, len(text)
        best = self._general_untruncated(ELLIPSIS, size, bold)
        while low < high:
            middle = (low + high + 1) // 2
            cut = middle
            while cut > 0 and (
                unicodedata.category(text[cut - 1])[0] == "M" or text[cut - 1] in (ZWJ, ZWNJ)
            ):
                cut -= 1
            while cut < len(text) and (
                unicodedata.category(text[cut])[0] == "M" or text[cut] in (ZWJ, ZWNJ)
            ):
                cut -= 1
                if cut <= 0:
                    break
            trial = self._general_untruncated(
                text[: max(cut, 0)].rstrip(" ") + ELLIPSIS, size, bold
            )
            if trial.width <= max_width:
                best = trial
                low = middle
            else:
                high = middle - 1
        return best

    def _runs(self, text: str, bold: bool) -> list[_Run]:
        needs_bidi = any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)
        levels = _levels(text) if needs_bidi else [0] * len(text)
        runs: list[_Run] = []
        previous = 0
        for ch, level in zip(text, levels, strict=True):
            category = unicodedata.category(ch)
            if (
                category[0] == "M"
                or ch in (ZWJ, ZWNJ)
                or (category == "Sk" and 0x1F3FB <= ord(ch) <= 0x1F3FF)
            ):
                index = previous  # marks and joiners stay with their base character
            elif bold and ord(ch) in self.bold.cmap:
                index = -2
            else:
                index = self._face_index(ch)
            previous = index
            if runs and runs[-1].face == index and runs[-1].level == level:
                runs[-1].text += ch
            else:
                runs.append(_Run(index, level, ch))
        return runs

    def _general_untruncated(self, text: str, size: float, bold: bool) -> _Cell:
        runs = self._runs(text, bold)
        segments: list[tuple[str, str]] = []
        glyphs: list[tuple[str, int, int, str]] = []
        width = 0.0
        needs_actual = False
        scale = size / 1000.0
        for run in _visual_order(runs):
            if run.face == -1:
                face, fkey = self.sans, "sans"
                needs_actual = True
                gid = face.gid(ord(FALLBACK))
                drawn = [
                    ch
                    for ch in run.text
                    if unicodedata.category(ch) not in ("Mn", "Me", "Sk") and ch not in (ZWJ, ZWNJ)
                ] or [FALLBACK]
                code = face.code(gid)
                glyphs.append((fkey, code, gid, FALLBACK))
                segments.append((_RESOURCE[fkey], f"<{code:04X}>Tj" * len(drawn)))
                width += face.widths[gid] * scale * len(drawn)
                continue
            if run.face == -2:
                face, fkey = self.bold, "bold"
            else:
                face, fkey = self.faces[run.face], _CHAIN[run.face]
            shaped = (
                fkey in _SHAPED_FONTS
                or run.level % 2 == 1
                or any(unicodedata.category(ch)[0] == "M" or ch in (ZWJ, ZWNJ) for ch in run.text)
            )
            if not shaped:
                parts = []
                for ch in run.text:
                    gid = face.gid(ord(ch))
                    code = face.code(gid)
                    glyphs.append((fkey, code, gid, ch))
                    parts.append(f"{code:04X}")
                    width += face.widths[gid] * scale
                segments.append((_RESOURCE[fkey], "<" + "".join(parts) + ">Tj"))
                continue
            # Right-to-left runs get no /ActualText: pdftotext (poppler) turns
            # visually ordered RTL glyphs back into logical order itself, and
            # mangles an /ActualText span instead (tried).
            needs_actual = needs_actual or run.level % 2 == 0
            ops, advance = self._shape(face, fkey, run, size, glyphs)
            segments.append((_RESOURCE[fkey], ops))
            width += advance
        actual = text if needs_actual else None
        return _Cell(tuple(segments), width, actual, tuple(glyphs))

    def _shape(
        self, face: Face, fkey: str, run: _Run, size: float, glyphs: list[tuple[str, int, int, str]]
    ) -> tuple[str, float]:
        """Shape one run with HarfBuzz; returns TJ operators and the advance in points."""
        buf = hb.Buffer()
        buf.add_str(run.text)
        buf.guess_segment_properties()
        buf.direction = "rtl" if run.level % 2 else "ltr"
        hb.shape(face.hb_font, buf, {"kern": True, "liga": True})
        to_1000 = 1000.0 / face.units_per_em
        infos, positions = buf.glyph_infos, buf.glyph_positions
        clusters = sorted({info.cluster for info in infos})
        cluster_text = {
            start: run.text[start : (clusters[i + 1] if i + 1 < len(clusters) else len(run.text))]
            for i, start in enumerate(clusters)
        }
        ops: list[str] = []
        items: list[str] = []
        rise = 0.0
        total = 0.0
        for info, pos in zip(infos, positions, strict=True):
            gid = info.codepoint
            code = face.code(gid)
            meaning = cluster_text[info.cluster] or FALLBACK
            # Extraction reverses RTL glyphs as a whole, ligatures included.
            glyphs.append((fkey, code, gid, meaning[::-1] if run.level % 2 else meaning))
            default = face.widths[gid]
            advance = pos.x_advance * to_1000
            dx = pos.x_offset * to_1000
            dy = round(pos.y_offset * to_1000 * size / 1000.0, 2)
            if dy != rise:
                if items:
                    ops.append("[" + "".join(items) + "]TJ")
                    items = []
                ops.append(f"{_num(dy)} Ts")
                rise = dy
            if dx:
                items.append(f" {_num(-dx)} ")
            items.append(f"<{code:04X}>")
            correction = dx + default - advance
            if abs(correction) > 0.001:
                items.append(f" {_num(correction)} ")
            total += advance
        if items:
            ops.append("[" + "".join(items) + "]TJ")
        if rise:
            ops.append("0 Ts")
        return " ".join(ops), total * size / 1000.0


# --- PDF assembly --------------------------------------------------------------


@dataclass
class _Page:
    graphics: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    font: str = ""


class _PdfWriter:
    """Appends numbered objects to an in-memory file and keeps the offsets."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
        self.position = len(self.chunks[0])
        self.offsets: list[int] = [0]  # object 0 is the free-list head
        self.hash = hashlib.sha256(self.chunks[0])

    def _append(self, data: bytes) -> None:
        self.chunks.append(data)
        self.hash.update(data)
        self.position += len(data)

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def write(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number = self.reserve()
        self.offsets[number] = self.position
        self._append(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        return number

    def stream(
        self, data: bytes, extra: str = "", compress: bool = True, number: int | None = None
    ) -> int:
        if compress:
            data = zlib.compress(data, 6)
            extra = "/Filter/FlateDecode" + extra
        head = f"<</Length {len(data)}{extra}>>\nstream\n".encode()
        return self.write(head + data + b"\nendstream", number)

    def finish(self, root: int, info: int) -> bytes:
        xref_at = self.position
        lines = [f"xref\n0 {len(self.offsets)}\n0000000000 65535 f \n"]
        lines.extend(f"{offset:010d} 00000 n \n" for offset in self.offsets[1:])
        self._append("".join(lines).encode())
        digest = self.hash.hexdigest()[:32].upper()
        trailer = (
            f"trailer\n<</Size {len(self.offsets)}/Root {root} 0 R/Info {info} 0 R"
            f"/ID[<{digest}><{digest}>]>>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        self._append(trailer.encode())
        return b"".join(self.chunks)


def _to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(
            f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in chunk
        )
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode()


def _widths_array(widths: dict[int, float]) -> str:
    parts: list[str] = []
    codes = sorted(widths)
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(f"{codes[i]}[{' '.join(_num(widths[c]) for c in codes[i : j + 1])}]")
        i = j + 1
    return "[" + " ".join(parts) + "]"


def _write_font(writer: _PdfWriter, face: Face, used: dict[int, tuple[int, str]]) -> int:
    """Embed ``face`` subset to ``used`` glyphs as a Type0 font; returns its object number."""
    gids = frozenset(gid for gid, _ in used.values()) | {0}
    program = face.subset(gids)
    tag_source = hashlib.sha256(
        face.postscript_name.encode() + b"".join(b"%d," % g for g in sorted(gids))
    )
    tag = "".join(chr(65 + b % 26) for b in tag_source.digest()[:6])
    base_font = f"{tag}+{face.postscript_name}"
    if face.is_cff:
        file_obj = writer.stream(program, "/Subtype/CIDFontType0C")
        file_key, cid_subtype, extra = "FontFile3", "CIDFontType0", ""
    else:
        file_obj = writer.stream(program, f"/Length1 {len(program)}")
        file_key, cid_subtype, extra = "FontFile2", "CIDFontType2", "/CIDToGIDMap/Identity"
    bbox = " ".join(str(v) for v in face.bbox)
    descriptor = writer.write(
        (
            f"<</Type/FontDescriptor/FontName/{base_font}/Flags 4/FontBBox[{bbox}]/ItalicAngle 0"
            f"/Ascent {face.ascent}/Descent {face.descent}/CapHeight {face.cap_height}/StemV 80"
            f"/{file_key} {file_obj} 0 R>>"
        ).encode()
    )
    widths = {code: face.widths[gid] for code, (gid, _) in used.items()}
    cid_font = writer.write(
        (
            f"<</Type/Font/Subtype/{cid_subtype}/BaseFont/{base_font}"
            f"/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>"
            f"/FontDescriptor {descriptor} 0 R/DW 1000/W {_widths_array(widths)}{extra}>>"
        ).encode()
    )
    to_unicode = writer.stream(_to_unicode_cmap({code: text for code, (_, text) in used.items()}))
    return writer.write(
        (
            f"<</Type/Font/Subtype/Type0/BaseFont/{base_font}/Encoding/Identity-H"
            f"/DescendantFonts[{cid_font} 0 R]/ToUnicode {to_unicode} 0 R>>"
        ).encode()
    )


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
    ) -> None:
        self.title = display_text(title)
        self.subtitle = display_text(subtitle)
        self.headers = tuple(display_text(h) for h in headers)
        self.language = language
        self.geo = _geometry(page_size, bool(self.subtitle))
        self.typesetter = _Typesetter(language)
        self.writer = _PdfWriter()
        self.bodies: list[int] = []
        self.page: _Page | None = None
        self.slot = 0
        self.capacity = 0
        self.header_y = 0.0
        geo = self.geo
        self._x = [f"1 0 0 1 {_num(x)} " for x in geo.col_x]
        self._number_right = geo.col_x[0]
        self._band_x = _num(MARGIN_X - 2)
        self._band_w = f"{_num(geo.table_w + 4)} {_num(ROW_PITCH)}"
        self._caches: tuple[dict[str, tuple[str, str, str]], ...] = ({}, {}, {}, {})
        common = self.typesetter.common
        self._number_hex = {ord(d): common.hex_table[ord(d)] for d in "0123456789-"}
        self._number_width = {d: common.width_of[d] for d in "0123456789-"}

    def put(self, page: _Page, cell: _Cell, x: float, y: float, size: float) -> None:
        out = page.text
        out.append(f"1 0 0 1 {_num(x)} {_num(y)} Tm")
        if cell.actual is not None:
            out.append(f"/Span<</ActualText{_pdf_text(cell.actual)}>>BDC")
        for font, ops in cell.segments:
            key = f"/{font} {_num(size)} Tf"
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
        page = _Page()
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
            self.header_y = geo.first_header_y
            self.capacity = geo.first_capacity
        else:
            self.header_y = geo.header_y
            self.capacity = geo.capacity
        self.write_header(page)
        self.page = page
        self.slot = 0

    def write_header(self, page: _Page) -> None:
        geo = self.geo
        y = self.header_y
        rule_y = y - 4.5
        page.graphics.append(
            f"0.5 w 0.3 G {_num(MARGIN_X)} {_num(rule_y)} m "
            f"{_num(MARGIN_X + geo.table_w)} {_num(rule_y)} l S"
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
        y_text = _num(y)
        if self.slot % 2 == 1:
            page.graphics.append(f"{self._band_x} {_num(y - 3.6)} {self._band_w} re f")
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
        return f"1 0 0 1 {_num(self._number_right - width)} {y_text} Tm <{codes}>Tj"

    def _compile(self, cell: _Cell) -> tuple[str, str, str]:
        """Body-size operators of ``cell``: (first font selector, operators, last font selector)."""
        parts: list[str] = []
        first = last = ""
        if cell.actual is not None:
            parts.append(f"/Span<</ActualText{_pdf_text(cell.actual)}>>BDC")
        for font, ops in cell.segments:
            key = f"/{font} {_num(BODY_SIZE)} Tf"
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

    def page_or_fail(self) -> _Page:
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
            page = _Page()
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
            f"/{_RESOURCE['sans']} {_write_font(writer, self.typesetter.sans, sans_used)} 0 R"
        ]
        faces = {key: face for key, face in zip(_CHAIN, self.typesetter.faces, strict=True)}
        faces["bold"] = self.typesetter.bold
        for key in ("bold", *_CHAIN[1:]):
            if used.get(key):
                font_refs.append(
                    f"/{_RESOURCE[key]} {_write_font(writer, faces[key], used[key])} 0 R"
                )
        resources = writer.write(f"<</Font<<{''.join(font_refs)}>>>>".encode())
        root = writer.reserve()
        pages_root = writer.reserve()
        media = f"[0 0 {_num(geo.width)} {_num(geo.height)}]"
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
        info = writer.write(f"<</Title{_pdf_text(self.title)}/Producer(safepassage)>>".encode())
        return writer.finish(root, info)


def render_signer_list(
    rows: Iterable[ListRow],
    *,
    title: str,
    subtitle: str = "",
    headers: tuple[str, str, str, str, str],
    totals: Sequence[str],
    page_label: str = "Page {page} of {pages}",
    language: str = "en",
    page_size: tuple[float, float] = A4,
) -> ListResult:
    """Write the signer list as a PDF: title, a table with a header on every page, totals.

    ``rows`` is consumed once, in order, and may be a generator of a million
    rows; only the compressed page streams are kept. Values are cleaned with
    ``display_text`` and shortened to their column with an ellipsis.
    """
    document = _Document(
        title=title, subtitle=subtitle, headers=headers, language=language, page_size=page_size
    )
    count = 0
    for row in rows:
        document.add_row(row)
        count += 1
    document.add_totals(totals)
    pdf = document.finish(page_label)
    return ListResult(pdf=pdf, pages=len(document.bodies), rows=count)

"""Text of the signer list: cleaning values, choosing fonts, shaping and ordering.

The list writer (safepassage/packets/listpdf.py) asks this module how a
cell's value is drawn: which characters survive (``display_text``), which
font each run of characters uses, the glyph codes and advances (a fast path
for plain Latin, Greek and Cyrillic; HarfBuzz shaping and the Unicode bidi
algorithm for everything else), and where the value must be shortened with
an ellipsis to fit its column.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import uharfbuzz as hb  # type: ignore[import-untyped]
from bidi import algorithm as bidi_algorithm  # type: ignore[import-untyped]

from safepassage.lib.fontfiles import cjk_face_for_language
from safepassage.packets.fonts import Face, common_set, get_face

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


def num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pdf_text(value: str) -> str:
    """A PDF text string (UTF-16BE with BOM, hex) safe for any content."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


# Font resource names per font key; fixed so pages can be written before the
# document knows which fonts it uses.
RESOURCE = {
    "sans": "F1",
    "bold": "F2",
    "cjk": "F3",
    "arabic": "F4",
    "hebrew": "F5",
    "symbols2": "F6",
    "symbols": "F7",
}
CHAIN = ("sans", "cjk", "arabic", "hebrew", "symbols2", "symbols")
SHAPED_FONTS = frozenset({"arabic", "hebrew"})


@dataclass
class Cell:
    """A laid-out single line: content operators per font, its width in points."""

    segments: tuple[tuple[str, str], ...]  # (font resource name, operators)
    width: float
    actual: str | None = None  # /ActualText when glyph order differs from the text
    glyphs: tuple[tuple[str, int, int, str], ...] = ()  # (font key, code, gid, text) to register


@dataclass
class Run:
    face: int  # index into the chain, -1 = no font covers it
    level: int
    text: str


def bidi_levels(text: str) -> list[int]:
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


def visual_order(runs: list[Run]) -> list[Run]:
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


class Typesetter:
    """Lays out single lines of text for one document and records the glyphs used."""

    def __init__(self, language: str) -> None:
        self.faces: list[Face] = [
            get_face(key, cjk_face_for_language(language) if key == "cjk" else 0) for key in CHAIN
        ]
        self.bold = get_face("bold")
        self.common = common_set("sans")
        self.sans = self.faces[0]
        self.fast_hex = self.common.hex_table
        self.fast_width = self.common.width_of
        self.cache: dict[tuple[str, float, float], Cell] = {}
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

    def register(self, cell: Cell) -> None:
        for key, code, gid, text in cell.glyphs:
            self.used.setdefault(key, {}).setdefault(code, (gid, text))

    def layout(self, text: str, size: float, max_width: float, bold: bool = False) -> Cell:
        """Lay ``text`` out on one line no wider than ``max_width`` points."""
        key = (text, size, max_width if not bold else -max_width)
        cell = self.cache.get(key)
        if cell is None:
            if not bold:
                fast = self.fast(text, size, max_width)
                if fast is not None:
                    codes, width = fast
                    cell = Cell(((RESOURCE["sans"], f"<{codes}>Tj"),), width)
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

    def _general(self, text: str, size: float, max_width: float, bold: bool) -> Cell:
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

    def _runs(self, text: str, bold: bool) -> list[Run]:
        needs_bidi = any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)
        levels = bidi_levels(text) if needs_bidi else [0] * len(text)
        runs: list[Run] = []
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
                runs.append(Run(index, level, ch))
        return runs

    def _general_untruncated(self, text: str, size: float, bold: bool) -> Cell:
        runs = self._runs(text, bold)
        segments: list[tuple[str, str]] = []
        glyphs: list[tuple[str, int, int, str]] = []
        width = 0.0
        needs_actual = False
        scale = size / 1000.0
        for run in visual_order(runs):
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
                segments.append((RESOURCE[fkey], f"<{code:04X}>Tj" * len(drawn)))
                width += face.widths[gid] * scale * len(drawn)
                continue
            if run.face == -2:
                face, fkey = self.bold, "bold"
            else:
                face, fkey = self.faces[run.face], CHAIN[run.face]
            shaped = (
                fkey in SHAPED_FONTS
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
                segments.append((RESOURCE[fkey], "<" + "".join(parts) + ">Tj"))
                continue
            # Right-to-left runs get no /ActualText: pdftotext (poppler) turns
            # visually ordered RTL glyphs back into logical order itself, and
            # mangles an /ActualText span instead (tried).
            needs_actual = needs_actual or run.level % 2 == 0
            ops, advance = self._shape(face, fkey, run, size, glyphs)
            segments.append((RESOURCE[fkey], ops))
            width += advance
        actual = text if needs_actual else None
        return Cell(tuple(segments), width, actual, tuple(glyphs))

    def _shape(
        self, face: Face, fkey: str, run: Run, size: float, glyphs: list[tuple[str, int, int, str]]
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
                ops.append(f"{num(dy)} Ts")
                rise = dy
            if dx:
                items.append(f" {num(-dx)} ")
            items.append(f"<{code:04X}>")
            correction = dx + default - advance
            if abs(correction) > 0.001:
                items.append(f" {num(correction)} ")
            total += advance
        if items:
            ops.append("[" + "".join(items) + "]TJ")
        if rise:
            ops.append("0 Ts")
        return " ".join(ops), total * size / 1000.0

"""Fonts for the signer-list PDF writer: finding, measuring and subsetting them.

The list writer (safepassage/packets/listpdf.py) puts glyphs on the page
itself instead of going through a layout engine, so it needs, per font, the
character map, the advance widths and a way to embed only the glyphs a
document uses. Everything here is loaded once per process and cached,
because a delivery build renders hundreds of documents with the same fonts.

Glyph codes written into content streams never depend on the subset:

* TrueType (glyf) fonts are subset with their glyph ids kept
  (``retain_gids``), and embedded as CIDFontType2 with an identity
  CIDToGIDMap, so the code is the original glyph id;
* the CFF-based Noto Sans CJK collection is CID-keyed (Adobe-Identity-0) and
  HarfBuzz's subsetter keeps each glyph's CID in the charset, so the code is
  the CID.

That lets the writer emit page streams while it reads rows and decide the
subsets only at the end, without holding rows in memory.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from safepassage.lib.fontfiles import find_font


class MissingFontError(RuntimeError):
    """A font the list writer needs is not installed on this machine."""


@dataclass(frozen=True)
class FontSpec:
    """Where a font is expected, how to ask fontconfig, and which package ships it."""

    key: str
    paths: tuple[str, ...]
    fc_pattern: str
    package: str
    index_by_language: bool = False


NOTO = "/usr/share/fonts/truetype/noto/"
NOTO_CJK = "/usr/share/fonts/opentype/noto/"

SPECS: dict[str, FontSpec] = {
    spec.key: spec
    for spec in (
        FontSpec(
            "sans", (NOTO + "NotoSans-Regular.ttf",), "Noto Sans:style=Regular", "fonts-noto-core"
        ),
        FontSpec("bold", (NOTO + "NotoSans-Bold.ttf",), "Noto Sans:style=Bold", "fonts-noto-core"),
        FontSpec(
            "cjk",
            (NOTO_CJK + "NotoSansCJK-Regular.ttc",),
            "Noto Sans CJK SC:style=Regular",
            "fonts-noto-cjk",
            index_by_language=True,
        ),
        FontSpec(
            "arabic",
            (NOTO + "NotoSansArabic-Regular.ttf",),
            "Noto Sans Arabic:style=Regular",
            "fonts-noto-core",
        ),
        FontSpec(
            "hebrew",
            (NOTO + "NotoSansHebrew-Regular.ttf",),
            "Noto Sans Hebrew:style=Regular",
            "fonts-noto-core",
        ),
        FontSpec(
            "symbols2",
            (NOTO + "NotoSansSymbols2-Regular.ttf",),
            "Noto Sans Symbols2:style=Regular",
            "fonts-noto-core",
        ),
        FontSpec(
            "symbols",
            (NOTO + "NotoSansSymbols-Regular.ttf",),
            "Noto Sans Symbols:style=Regular",
            "fonts-noto-core",
        ),
    )
}

# Faces of NotoSansCJK-Regular.ttc, in file order (lib/fontfiles.cjk_face_for_language).
CJK_FACE_NAMES = ("JP", "KR", "SC", "TC", "HK")


@functools.cache
def font_path(key: str) -> str:
    """The file of font ``key``: the Debian package's fixed path, else fontconfig's answer."""
    spec = SPECS[key]
    found = find_font(spec.paths, spec.fc_pattern)
    if found:
        return found
    raise MissingFontError(
        f"The signer list needs the font {spec.fc_pattern.split(':')[0]!r}; "
        f"install the Debian package {spec.package} "
        f"(looked in {', '.join(spec.paths)} and asked fc-match)."
    )


class Face:
    """One font face: character map, advances, PDF metrics and a HarfBuzz font.

    Loaded once per process (see ``get_face``); read-only afterwards, so worker
    threads may share it.
    """

    def __init__(self, key: str, path: str, index: int) -> None:
        self.key = key
        self.path = path
        self.index = index
        font = TTFont(path, fontNumber=index, lazy=True)
        self.is_cff = "CFF " in font
        self.units_per_em: int = font["head"].unitsPerEm
        self.cmap: dict[int, str] = font.getBestCmap()
        glyph_order = font.getGlyphOrder()
        self.glyph_order = glyph_order
        self._gid_by_name = {name: gid for gid, name in enumerate(glyph_order)}
        hmtx = font["hmtx"].metrics
        scale = 1000.0 / self.units_per_em
        self.widths: list[float] = [round(hmtx[name][0] * scale, 3) for name in glyph_order]
        head = font["head"]
        os2 = font["OS/2"]
        self.bbox = tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        self.ascent = round(font["hhea"].ascent * scale)
        self.descent = round(font["hhea"].descent * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", 0) * scale) or self.ascent
        family = font["name"].getDebugName(6) or Path(path).stem
        self.postscript_name = "".join(ch for ch in family if ch.isalnum() or ch == "-")
        self._hb_font: hb.Font | None = None
        self._lock = threading.Lock()

    def gid(self, codepoint: int) -> int:
        """Glyph id of ``codepoint`` (0 = .notdef when the face lacks it)."""
        name = self.cmap.get(codepoint)
        return self._gid_by_name[name] if name is not None else 0

    def code(self, gid: int) -> int:
        """The two-byte code written into content streams for glyph ``gid``."""
        if not self.is_cff or gid == 0:
            return gid
        name = self.glyph_order[gid]
        return int(name[3:]) if name.startswith("cid") else gid

    @property
    def hb_font(self) -> hb.Font:
        """HarfBuzz font at units-per-em scale, created on first use."""
        with self._lock:
            if self._hb_font is None:
                blob = hb.Blob.from_file_path(self.path)
                face = hb.Face(blob, self.index)
                font = hb.Font(face)
                font.scale = (self.units_per_em, self.units_per_em)
                self._hb_font = font
            return self._hb_font

    def subset(self, gids: frozenset[int]) -> bytes:
        """Embeddable font program holding ``gids`` (plus .notdef).

        glyf fonts come back as a TrueType file with glyph ids kept; CFF fonts
        as a bare CID-keyed CFF table (FontFile3 /CIDFontType0C) whose charset
        keeps the original CIDs.
        """
        return _subset(self.key, self.path, self.index, gids)


@functools.cache
def get_face(key: str, index: int = 0) -> Face:
    """The process-wide ``Face`` for font ``key`` (face ``index`` of a collection)."""
    return Face(key, font_path(key), index)


# Tables the list never needs: layout (shaping happens before embedding),
# vertical metrics, signatures. Dropping them keeps each subset small.
DROPPED_TABLES = (
    "GSUB",
    "GPOS",
    "GDEF",
    "BASE",
    "JSTF",
    "MATH",
    "VORG",
    "vhea",
    "vmtx",
    "DSIG",
    "meta",
    "kern",
)


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


@functools.cache
def _hb_face(path: str, index: int) -> hb.Face:
    return hb.Face(hb.Blob.from_file_path(path), index)


@functools.lru_cache(maxsize=64)
def _subset(key: str, path: str, index: int, gids: frozenset[int]) -> bytes:
    """Subset with HarfBuzz's subsetter (C): about 30 ms for a CJK face.

    fontTools' pure-Python subsetter took 0.4 s plus 0.7 ms per glyph for the
    CFF-based CJK collection, which made font subsetting the larger part of
    building a campaign's packets.
    """
    face = _hb_face(path, index)
    is_cff = "CFF " in face.table_tags
    request = hb.SubsetInput()
    for gid in sorted(gids):
        request.glyph_set.add(gid)
    # CFF: a CID-keyed font keeps each glyph's CID in its charset whatever its
    # new glyph id, and the writer's codes are CIDs. glyf: keep glyph ids,
    # which are the writer's codes (identity CIDToGIDMap).
    flags = hb.SubsetFlags.NOTDEF_OUTLINE | hb.SubsetFlags.NO_LAYOUT_CLOSURE
    if not is_cff:
        flags |= hb.SubsetFlags.RETAIN_GIDS
    request.flags = flags
    dropped = request.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for name in DROPPED_TABLES:
        dropped.add(_tag(name))
    result = hb.subset(face, request)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset the font {key!r}")
    if is_cff:
        return bytes(result.reference_table("CFF ").data)
    return bytes(result.blob.data)


# Ranges whose Noto Sans glyphs form the per-process "common" subset: every
# European Latin, Greek and Cyrillic letter, general punctuation, currency
# and letterlike symbols. Documents that use only these embed the same bytes.
COMMON_RANGES = (
    (0x0020, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x052F),
    (0x1E00, 0x1FFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0xFFFD, 0xFFFD),
)


def _plain(ch: str) -> bool:
    """Whether ``ch`` can be drawn by a bare cmap look-up (no shaping, no bidi)."""
    category = unicodedata.category(ch)
    if category[0] in "CM" or (category[0] == "Z" and ch != " "):
        return False
    return unicodedata.bidirectional(ch) not in ("R", "AL", "AN", "RLE", "RLO", "RLI")


@dataclass(frozen=True)
class CommonSet:
    """The common Noto Sans subset with tables for the writer's fast path."""

    gids: frozenset[int]
    hex_table: dict[int, str]  # str.translate table: plain char -> 4 hex digits of its code
    width_of: dict[str, float]  # plain char -> advance in 1/1000 em
    to_unicode: dict[int, str]  # code -> the character it stands for


@functools.cache
def common_set(key: str = "sans") -> CommonSet:
    """The fast-path tables of face ``key`` for the common ranges, built once per process."""
    face = get_face(key)
    gids: set[int] = set()
    hex_table: dict[int, str] = {}
    width_of: dict[str, float] = {}
    to_unicode: dict[int, str] = {}
    for start, end in COMMON_RANGES:
        for cp in range(start, end + 1):
            if cp not in face.cmap:
                continue
            gid = face.gid(cp)
            gids.add(gid)
            ch = chr(cp)
            to_unicode.setdefault(gid, ch)
            if _plain(ch):
                hex_table[cp] = f"{gid:04X}"
                width_of[ch] = face.widths[gid]
    return CommonSet(frozenset(gids), hex_table, width_of, to_unicode)

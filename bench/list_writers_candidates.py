"""fpdf2 and ReportLab writing the signer list of safepassage/packets/listpdf.py.

Same page as the project's writer: A4, its margins, column shares, row pitch
and font sizes, title and subtitle on the first page, the column headers on
every page, the totals after the last row and "Page X of Y" in the footer.
Fonts are the Debian Noto files the project uses (safepassage/packets/fonts.py
finds them). Each library gets its best reasonable use, not its slowest:

* fpdf2: ``text()`` for values in Latin, Greek or Cyrillic (five times
  cheaper than ``cell()``, but without shaping or font fallback), ``cell()``
  with HarfBuzz shaping (``set_text_shaping``) and the CJK and Arabic faces
  as fallback fonts for every other value;
* ReportLab: the canvas (``drawString``), not platypus ``Table``, which
  re-splits the remaining table on every page. ReportLab embeds only
  TrueType outlines, and the Noto CJK faces are CFF, so CJK values use its
  built-in Adobe CID fonts (not embedded: the reader must supply them); it
  has no font fallback, so each value's font is chosen here by script, and
  Arabic is shaped with its HarfBuzz helper (``ttfonts.shapeStr``; the
  canvas's own ``shaping=True`` works only with the ``rlbidi`` package,
  which is not on the package registry, so there is no bidi either);
* reportlab-ttf: the same, but CJK values in WenQuanYi Zen Hei, a
  TrueType-outline CJK face that ReportLab can embed (Debian's
  fonts-wqy-zenhei; the Noto CJK glyphs are not available to it).

Neither library shortens a value to its column with an ellipsis as listpdf
does; the bench names fit their columns.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safepassage.packets import fonts
from safepassage.packets.listlayout import (
    A4,
    BODY_SIZE,
    COLUMN_GAP,
    COLUMN_SHARES,
    FOOTER_SIZE,
    FOOTER_Y,
    HEADER_SIZE,
    MARGIN_TOP,
    MARGIN_X,
    ROW_PITCH,
    SUBTITLE_SIZE,
    TABLE_BOTTOM,
    TITLE_SIZE,
)

Row = tuple[int, str, str, str, str]
WIDTH, HEIGHT = A4

# Anything outside Latin, Greek, Cyrillic and general punctuation.
_COMPLEX = re.compile("[^\u0000-\u024f\u0370-\u052f\u1e00-\u206f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_KANA = re.compile("[\u3040-\u30ff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def needs_shaping(text: str) -> bool:
    return _COMPLEX.search(text) is not None


def columns() -> list[tuple[float, float]]:
    """(left edge, width) of number, name, city, region and country."""
    table_w = WIDTH - 2 * MARGIN_X
    number_w = 38.0
    rest = table_w - number_w - 4 * COLUMN_GAP
    out = [(MARGIN_X, number_w)]
    x = MARGIN_X + number_w + COLUMN_GAP
    for share in COLUMN_SHARES:
        out.append((x, rest * share))
        x += rest * share + COLUMN_GAP
    return out


def baselines() -> tuple[float, float, float, float]:
    """Title, subtitle, first page's header and other pages' header baselines (from the bottom)."""
    title_y = HEIGHT - MARGIN_TOP - TITLE_SIZE
    subtitle_y = title_y - 16.0
    return title_y, subtitle_y, subtitle_y - 24.0, HEIGHT - MARGIN_TOP - HEADER_SIZE


# --- fpdf2 ----------------------------------------------------------------------


def write_fpdf2(
    rows: Sequence[Row], *, title: str, subtitle: str, headers: Sequence[str], totals: Sequence[str]
) -> tuple[bytes, int]:
    fpdf = importlib.import_module("fpdf")
    pdf: Any = fpdf.FPDF(unit="pt", format="A4")
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_X, MARGIN_TOP)
    pdf.add_font("sans", "", fonts.font_path("sans"))
    pdf.add_font("sans", "B", fonts.font_path("bold"))
    # Face 2 of the collection (SC), as listpdf picks for an English document.
    pdf.add_font("cjk", "", fonts.font_path("cjk"), collection_font_number=2)
    pdf.add_font("arabic", "", fonts.font_path("arabic"))
    pdf.set_fallback_fonts(["cjk", "arabic"], exact_match=False)
    cols = columns()
    title_y, subtitle_y, first_header_y, header_y = baselines()
    pdf.set_text_shaping(True)

    def put(x: float, w: float, baseline: float, text: str, align: str = "L") -> None:
        if needs_shaping(text):
            pdf.set_xy(x, HEIGHT - baseline - ROW_PITCH * 0.7)
            pdf.cell(w, ROW_PITCH, text, align=align)
            return
        if align == "R":
            x += w - pdf.get_string_width(text)
        elif align == "C":
            x += (w - pdf.get_string_width(text)) / 2
        pdf.text(x, HEIGHT - baseline, text)

    def new_page(header: float) -> float:
        if pdf.page_no():
            footer()
        pdf.add_page()
        pdf.set_font("sans", "B", HEADER_SIZE)
        for (x, w), text in zip(cols, headers, strict=True):
            put(x, w, header, text, "R" if x == MARGIN_X else "L")
        pdf.set_font("sans", "", BODY_SIZE)
        return header - 17.0

    def footer() -> None:
        pdf.set_font("sans", "", FOOTER_SIZE)
        # cell(), not text(): only cell() replaces the page-count alias {nb}
        pdf.set_xy(MARGIN_X, HEIGHT - FOOTER_Y - ROW_PITCH * 0.7)
        pdf.cell(WIDTH - 2 * MARGIN_X, ROW_PITCH, f"Page {pdf.page_no()} of {{nb}}", align="C")
        pdf.set_font("sans", "", BODY_SIZE)

    pdf.add_page()
    pdf.set_font("sans", "B", TITLE_SIZE)
    put(MARGIN_X, WIDTH - 2 * MARGIN_X, title_y, title)
    pdf.set_font("sans", "", SUBTITLE_SIZE)
    put(MARGIN_X, WIDTH - 2 * MARGIN_X, subtitle_y, subtitle)
    pdf.set_font("sans", "B", HEADER_SIZE)
    for (x, w), text in zip(cols, headers, strict=True):
        put(x, w, first_header_y, text, "R" if x == MARGIN_X else "L")
    pdf.set_font("sans", "", BODY_SIZE)
    y = first_header_y - 17.0
    for row in rows:
        if y < TABLE_BOTTOM:
            y = new_page(header_y)
        put(cols[0][0], cols[0][1], y, str(row[0]), "R")
        for (x, w), text in zip(cols[1:], row[1:], strict=True):
            put(x, w, y, text)
        y -= ROW_PITCH
    for line in totals:
        if y < TABLE_BOTTOM:
            y = new_page(header_y)
        put(MARGIN_X, WIDTH - 2 * MARGIN_X, y, line)
        y -= ROW_PITCH
    footer()
    return bytes(pdf.output()), int(pdf.page_no())


# --- ReportLab ------------------------------------------------------------------

# ReportLab's own Adobe CID fonts (not embedded), by script.
_CID_FONTS = {"hangul": "HYGothic-Medium", "kana": "HeiseiKakuGo-W5", "han": "STSong-Light"}


@functools.cache
def _reportlab_fonts() -> None:
    # Binary compressed streams: ASCII85 only makes them bigger and slower.
    config: Any = importlib.import_module("reportlab.rl_config")
    config.useA85 = 0
    pdfmetrics = importlib.import_module("reportlab.pdfbase.pdfmetrics")
    ttfonts = importlib.import_module("reportlab.pdfbase.ttfonts")
    cidfonts = importlib.import_module("reportlab.pdfbase.cidfonts")
    pdfmetrics.registerFont(ttfonts.TTFont("sans", fonts.font_path("sans")))
    pdfmetrics.registerFont(ttfonts.TTFont("bold", fonts.font_path("bold")))
    pdfmetrics.registerFont(ttfonts.TTFont("arabic", fonts.font_path("arabic")))
    for name in _CID_FONTS.values():
        pdfmetrics.registerFont(cidfonts.UnicodeCIDFont(name))


# A TrueType-outline CJK face (Hangul, kana and ideographs) that ReportLab can
# embed, from Debian's fonts-wqy-zenhei; only for the reportlab-ttf variant.
WQY_ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


@functools.cache
def _reportlab_ttf_cjk() -> None:
    ttfonts = importlib.import_module("reportlab.pdfbase.ttfonts")
    pdfmetrics = importlib.import_module("reportlab.pdfbase.pdfmetrics")
    pdfmetrics.registerFont(ttfonts.TTFont("cjk", str(WQY_ZENHEI), subfontIndex=0))


def _reportlab_font(text: str, latin: str, embedded_cjk: bool) -> str:
    if not needs_shaping(text):
        return latin
    if embedded_cjk and (_HANGUL.search(text) or _KANA.search(text) or _HAN.search(text)):
        return "cjk"
    if _HANGUL.search(text):
        return _CID_FONTS["hangul"]
    if _KANA.search(text):
        return _CID_FONTS["kana"]
    if _HAN.search(text):
        return _CID_FONTS["han"]
    if _ARABIC.search(text):
        return "arabic"
    return latin


def write_reportlab(
    rows: Sequence[Row],
    *,
    title: str,
    subtitle: str,
    headers: Sequence[str],
    totals: Sequence[str],
    embedded_cjk: bool = False,
) -> tuple[bytes, int]:
    _reportlab_fonts()
    if embedded_cjk:
        _reportlab_ttf_cjk()
    canvas_module = importlib.import_module("reportlab.pdfgen.canvas")
    ttfonts = importlib.import_module("reportlab.pdfbase.ttfonts")
    out = io.BytesIO()
    c: Any = canvas_module.Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    cols = columns()
    title_y, subtitle_y, first_header_y, header_y = baselines()
    number_right = cols[0][0] + cols[0][1]
    pages = 1
    # One text object per page, values placed with setTextOrigin: cheaper than a
    # drawString (its own BT ... ET) per value.
    text: Any = c.beginText()
    current = ("", 0.0)

    def put(x: float, baseline: float, value: str, latin: str, size: float) -> None:
        nonlocal current
        font = _reportlab_font(value, latin, embedded_cjk)
        if (font, size) != current:
            text.setFont(font, size)
            current = (font, size)
        text.setTextOrigin(x, baseline)
        if font == "arabic":
            value = shaped(value, size)
        text.textOut(value)

    def shaped(value: str, size: float) -> Any:
        # HarfBuzz through ReportLab's own helper; the canvas's drawString(shaping=True)
        # shapes only with rlbidi installed, which is not on the package registry.
        return ttfonts.shapeStr(value, "arabic", size)

    def header_row(baseline: float) -> None:
        put(
            number_right - c.stringWidth(headers[0], "bold", HEADER_SIZE),
            baseline,
            headers[0],
            "bold",
            HEADER_SIZE,
        )
        for (x, _w), value in zip(cols[1:], headers[1:], strict=True):
            put(x, baseline, value, "bold", HEADER_SIZE)

    def end_page() -> None:
        nonlocal text, current, pages
        label = f"Page {pages} of "
        put(MARGIN_X, FOOTER_Y, label, "sans", FOOTER_SIZE)
        c.drawText(text)
        c.saveState()
        c.translate(MARGIN_X + c.stringWidth(label, "sans", FOOTER_SIZE), FOOTER_Y)
        c.doForm("page_total")  # defined at the end, when the total is known
        c.restoreState()
        c.showPage()
        pages += 1
        text = c.beginText()
        current = ("", 0.0)

    put(MARGIN_X, title_y, title, "bold", TITLE_SIZE)
    put(MARGIN_X, subtitle_y, subtitle, "sans", SUBTITLE_SIZE)
    header_row(first_header_y)
    y = first_header_y - 17.0
    for row in rows:
        if y < TABLE_BOTTOM:
            end_page()
            header_row(header_y)
            y = header_y - 17.0
        number = str(row[0])
        put(number_right - c.stringWidth(number, "sans", BODY_SIZE), y, number, "sans", BODY_SIZE)
        for (x, _w), value in zip(cols[1:], row[1:], strict=True):
            put(x, y, value, "sans", BODY_SIZE)
        y -= ROW_PITCH
    for line in totals:
        if y < TABLE_BOTTOM:
            end_page()
            y = header_y - 17.0
        put(MARGIN_X, y, line, "sans", BODY_SIZE)
        y -= ROW_PITCH
    end_page()
    pages -= 1
    c.beginForm("page_total")
    c.setFont("sans", FOOTER_SIZE)
    c.drawString(0, 0, str(pages))
    c.endForm()
    c.save()
    return out.getvalue(), pages


__all__ = ["WQY_ZENHEI", "needs_shaping", "write_fpdf2", "write_reportlab"]

"""The share card's picture: a 1200 x 630 PNG with the petition's title, its count and the day.

Rendered here with Pillow, from the same Noto fonts the PDFs use (fonts-noto-core
and fonts-noto-cjk; the packets' font finder, safepassage/packets/fonts.py, sits
above this app, so the few paths are repeated), never fetched from elsewhere.

One picture per petition, language, title and *rounded* count: the count is
rounded down to two significant figures (``rounded``), so a busy petition is
drawn again only when its first two digits change, and the cache
(``SHARE_IMAGE_SECONDS``) serves every other request.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata

from django.core.cache import cache
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext
from PIL import Image, ImageDraw, ImageFont

from safepassage.campaigns.models import Petition
from safepassage.lib.fontfiles import cjk_face_for_language, find_font

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
SHARE_IMAGE_SECONDS = 24 * 3600
BACKGROUND = (22, 43, 72)
ACCENT = (242, 183, 5)
TEXT = (255, 255, 255)
MUTED = (196, 208, 224)

NOTO = "/usr/share/fonts/truetype/noto/"
NOTO_CJK = "/usr/share/fonts/opentype/noto/"
FONTS = {
    ("latin", False): (NOTO + "NotoSans-Regular.ttf", "Noto Sans:style=Regular"),
    ("latin", True): (NOTO + "NotoSans-Bold.ttf", "Noto Sans:style=Bold"),
    ("cjk", False): (NOTO_CJK + "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC:style=Regular"),
    ("cjk", True): (NOTO_CJK + "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC:style=Bold"),
}
# The languages whose text is drawn with the CJK collection (the face: lib/fontfiles.py).
CJK_LANGUAGES = frozenset({"ja", "ko", "zh-hans", "zh-hant"})


def rounded(count: int) -> int:
    """The count as the picture shows it: exact below 100, else two significant figures, down."""
    if count < 100:
        return max(0, count)
    step: int = 10 ** (len(str(count)) - 2)
    return int(count - count % step)


@functools.cache
def _font_file(script: str, bold: bool) -> str:
    path, pattern = FONTS[(script, bold)]
    return find_font([path], pattern) or path


def _needs_cjk(text: str) -> bool:
    return any(
        unicodedata.east_asian_width(char) in ("W", "F") and not char.isspace() for char in text
    )


@functools.lru_cache(maxsize=64)
def _font(script: str, bold: bool, size: int, language: str) -> ImageFont.FreeTypeFont:
    """The Noto face; the font packages are installed for the PDFs anyway (fonts-noto-*)."""
    index = cjk_face_for_language(language) if script == "cjk" else 0
    return ImageFont.truetype(_font_file(script, bold), size, index=index)


def font_for(text: str, *, bold: bool, size: int, language: str) -> ImageFont.FreeTypeFont:
    """Noto Sans, or Noto Sans CJK (which has Latin too) when the text holds CJK or Hangul."""
    cjk = _needs_cjk(text) or language in CJK_LANGUAGES
    return _font("cjk" if cjk else "latin", bold, size, language)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines no wider than ``width``: broken at spaces, or anywhere in text without spaces."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ") if " " in paragraph else list(paragraph)
        joiner = " " if " " in paragraph else ""
        line = ""
        for word in words:
            candidate = f"{line}{joiner}{word}" if line else word
            if font.getlength(candidate) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def _title_lines(title: str, language: str, width: int) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """The title in the largest size (down to 40 px) that fits four lines, else cut."""
    for size in (68, 60, 54, 48, 44, 40):
        font = font_for(title, bold=True, size=size, language=language)
        lines = wrap(title, font, width)
        if len(lines) <= 4:
            return lines, font
    lines = lines[:4]
    lines[-1] = lines[-1].rstrip(" .,") + "…"
    return lines, font


def render(
    *, title: str, campaign: str, day: str, count: int, count_label: str, site: str, language: str
) -> bytes:
    """The PNG's bytes (deterministic for the same arguments)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 16, HEIGHT), fill=ACCENT)
    inner = WIDTH - 2 * MARGIN
    small = font_for(campaign + day, bold=False, size=30, language=language)
    header = f"{campaign} · {day}" if day else campaign
    header_lines = wrap(header, small, inner)[:1]
    y = 56
    for line in header_lines:
        draw.text((MARGIN, y), line, font=small, fill=MUTED)
        y += 44
    lines, font = _title_lines(title, language, inner)
    y += 20
    line_height = int(font.size * 1.25)
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=TEXT)
        y += line_height
    figure = font_for(str(count), bold=True, size=96, language=language)
    label = font_for(count_label, bold=False, size=34, language=language)
    number = number_format(count, force_grouping=True)
    if count >= 100:
        number += "+"
    base = HEIGHT - 70
    draw.text((MARGIN, base), number, font=figure, fill=ACCENT, anchor="ls")
    after = MARGIN + figure.getlength(number) + 24
    label_text = wrap(count_label, label, max(200, WIDTH - MARGIN - int(after) - 260))[:1]
    if label_text:
        draw.text((after, base - 8), label_text[0], font=label, fill=TEXT, anchor="ls")
    footer = font_for(site, bold=False, size=26, language=language)
    draw.text((WIDTH - MARGIN, base - 8), site, font=footer, fill=MUTED, anchor="rs")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_image(petition: Petition, language: str, count: int, site: str) -> bytes:
    """The petition's picture in ``language`` for its live ``count``, from the cache if drawn."""
    text = petition.text(language)
    campaign = petition.campaign.in_language(language)
    title = text.title if text else campaign.title
    shown = rounded(count)
    day = gettext("Day of action: %(day)s") % {
        "day": date_format(campaign.day_of_action, "DATE_FORMAT")
    }
    label = ngettext("confirmed signature", "confirmed signatures", shown)
    parts = "\n".join((title, campaign.title, day, label, site, language))
    digest = hashlib.sha256(parts.encode()).hexdigest()[:16]
    key = f"share-image:{petition.pk}:{language}:{shown}:{digest}"
    png: bytes | None = cache.get(key)
    if png is None:
        png = render(
            title=title,
            campaign=campaign.title,
            day=day,
            count=shown,
            count_label=label,
            site=site,
            language=language,
        )
        cache.set(key, png, SHARE_IMAGE_SECONDS)
    return png

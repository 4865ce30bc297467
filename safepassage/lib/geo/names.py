"""Place names as people type them, reduced to the key they are looked up by.

Signers write their city as they like it: 서울, 東京都, "Sao Paulo", "NYC". The
gazetteer and the time zones both match names on ``normalise``; the gazetteer
also tries a name without its administrative ending (``strip_kind``).
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks that are accents on Latin, Greek and Cyrillic letters. Marks of
# other scripts (the kana voicing marks, Indic vowel signs) carry meaning and stay.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that are not a base letter plus an accent, spelt as people type them.
_PLAIN_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
)
_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")

# Endings that name the kind of place rather than the place: 서울특별시 is 서울,
# 東京都 is 東京, "Suwon-si" is Suwon. Tried only when the whole name is unknown.
_SUFFIXES = (
    *("특별자치시", "특별자치도", "특별시", "광역시", "시", "군", "구", "도"),
    *("市", "都", "府", "県", "县", "縣", "区", "區"),
    *(" city", " si", " shi", " gun", " gu", " ku", " municipality", " town"),
)
_PREFIXES = ("city of ",)


def normalise(text: str) -> str:
    """The key a name is looked up by: case, accents and punctuation ignored.

    München and Munchen, "São Paulo" and "sao-paulo" share a key; 서울, 東京 and
    北京 keep their letters (Hangul syllables are recomposed after decomposition).
    """
    if text.isascii():
        return _ASCII_SEPARATORS.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFC", text).translate(_PLAIN_LETTERS)
    kept = (
        char if char.isalnum() or unicodedata.category(char)[0] == "M" else " " for char in text
    )
    return " ".join("".join(kept).split())


def strip_kind(key: str) -> str:
    """A normalised name without an administrative ending, or the name itself."""
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    if not key.endswith(_SUFFIXES):  # most names: one test instead of one per ending
        return key
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].strip()
    return key

"""The names a person sees for a packet: "2026-09-24 Chicago — Consulate-General of the PRC.pdf".

A packet is saved on volunteers' laptops and phones, unpacked from ZIPs and
attached to mails, so its name must be readable and valid on every file
system: the characters Windows, macOS and Linux refuse or treat specially
(``/ \\ : * ? " < > |`` and control characters) become spaces or dashes,
white space is collapsed, leading and trailing dots and spaces go, names
Windows reserves (``CON``, ``NUL``, ``COM1``…) are avoided, and the whole
name fits in 255 bytes of UTF-8 with room to spare. Letters of every script
stay as they are (in Unicode NFC, the form macOS and Windows both accept).

Stored files keep their technical names (``packets/<build>/<mission key>.pdf``);
these names are only for downloads and the members of a build's ZIP.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from urllib.parse import quote

# Characters no common file system accepts in a name, or that mean something there.
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}
# Bytes of UTF-8 a name may take: well under the 255 of ext4, NTFS, APFS and FAT's long names.
MAX_BYTES = 180
# Dashes and curly quotes become their ASCII forms in the ASCII fallback.
_DASHES = str.maketrans(
    {"\u2014": "-", "\u2013": "-", "\u2010": "-", "\u2011": "-", "\u2019": "'", "\u2018": "'"}
)


def _clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    text = _FORBIDDEN.sub(" ", text)
    return " ".join(text.split())


def _fit(text: str, limit: int) -> str:
    """``text`` cut at a character boundary to at most ``limit`` bytes of UTF-8."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore").rstrip()


def safe_filename(stem: str, extension: str, *, fallback: str = "packet") -> str:
    """``stem.extension`` made valid on every file system (see the module's text)."""
    cleaned = _fit(_clean_text(stem), MAX_BYTES - len(extension) - 1).strip(" .")
    if not cleaned or cleaned.split(".")[0].strip().upper() in _RESERVED:
        cleaned = f"{cleaned}_" if cleaned else fallback
    return f"{cleaned}.{extension}"


def packet_stem(day: date | None, city: str, mission_name: str) -> str:
    """ "2026-09-24 Chicago — Consulate-General of the PRC" (parts that are empty are left out)."""
    head = " ".join(part for part in (day.isoformat() if day else "", _clean_text(city)) if part)
    name = _clean_text(mission_name)
    if head and name:
        return f"{head} — {name}"
    return head or name


def packet_name(day: date | None, city: str, mission_name: str) -> str:
    return safe_filename(packet_stem(day, city, mission_name), "pdf")


def unique_names(names: Iterable[str]) -> list[str]:
    """The names in order, later duplicates numbered "name (2).pdf", "name (3).pdf"…

    Compared as a case-insensitive file system compares them (Windows, macOS),
    so two names differing only in case are duplicates too.
    """
    taken: set[str] = set()
    result: list[str] = []
    for name in names:
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            base = _fit(stem, MAX_BYTES - len(suffix) - len(extension) - 1)
            candidate = f"{base}{suffix}{dot}{extension}"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def ascii_fallback(name: str) -> str:
    """The name in plain ASCII for old clients: accents dropped, other letters left out."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_DASHES))
    plain = decomposed.encode("ascii", errors="ignore").decode("ascii")
    plain = " ".join(plain.split())
    plain = re.sub(r"(?:\s*-\s*){2,}", " - ", plain)
    stem, dot, extension = plain.rpartition(".")
    stem = stem.strip(" .-")
    if not dot or not stem:
        return f"packet.{extension or 'pdf'}" if dot else "packet"
    return safe_filename(stem, extension)


def content_disposition(name: str) -> str:
    """An attachment header naming the file (RFC 6266: ``filename*`` with an ASCII fallback)."""
    fallback = ascii_fallback(name).replace("\\", "").replace('"', "")
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header

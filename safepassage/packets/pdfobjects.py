"""The PDF objects of the signer list: numbered objects, fonts with their maps.

Only what the list writer needs: an append-only object writer that keeps
offsets for the cross-reference table, and embedded font subsets with their
widths and ToUnicode maps, so that text extraction gives the signers' names
back.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

from safepassage.lib.pdf import document_id
from safepassage.packets.fonts import Face
from safepassage.packets.listtext import num

# --- PDF assembly --------------------------------------------------------------


@dataclass
class Page:
    graphics: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    font: str = ""


class PdfWriter:
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
        # The /ID names the file by its content, as lib/pdf.py does for every other PDF.
        digest = document_id(self.hash.digest()).upper()
        trailer = (
            f"trailer\n<</Size {len(self.offsets)}/Root {root} 0 R/Info {info} 0 R"
            f"/ID[<{digest}><{digest}>]>>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        self._append(trailer.encode())
        return b"".join(self.chunks)


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
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


def widths_array(widths: dict[int, float]) -> str:
    parts: list[str] = []
    codes = sorted(widths)
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(f"{codes[i]}[{' '.join(num(widths[c]) for c in codes[i : j + 1])}]")
        i = j + 1
    return "[" + " ".join(parts) + "]"


def write_font(writer: PdfWriter, face: Face, used: dict[int, tuple[int, str]]) -> int:
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
            f"/FontDescriptor {descriptor} 0 R/DW 1000/W {widths_array(widths)}{extra}>>"
        ).encode()
    )
    to_unicode = writer.stream(to_unicode_cmap({code: text for code, (_, text) in used.items()}))
    return writer.write(
        (
            f"<</Type/Font/Subtype/Type0/BaseFont/{base_font}/Encoding/Identity-H"
            f"/DescendantFonts[{cid_font} 0 R]/ToUnicode {to_unicode} 0 R>>"
        ).encode()
    )

"""The page layout of the signer list (``listpdf.py``): sizes, margins, columns, rows per page.

Page one carries the title, the subtitle and the notes (the mission's address
and how fresh it is) above the table; every later page only the table.
"""

from __future__ import annotations

from dataclasses import dataclass

A4 = (595.28, 841.89)

BODY_SIZE = 9.0
HEADER_SIZE = 9.0
TITLE_SIZE = 14.0
SUBTITLE_SIZE = 9.0
NOTE_SIZE = 8.5
NOTE_PITCH = 12.0
FOOTER_SIZE = 8.5
ROW_PITCH = 13.5
MARGIN_X = 42.0
MARGIN_TOP = 42.0
TABLE_BOTTOM = 58.0
FOOTER_Y = 30.0
COLUMN_GAP = 8.0
COLUMN_SHARES = (0.34, 0.24, 0.21, 0.21)  # name, city, region, country of what the number leaves


@dataclass(frozen=True)
class Geometry:
    width: float
    height: float
    col_x: tuple[float, ...]  # left edge of each column (number column: right edge)
    col_w: tuple[float, ...]
    table_w: float
    title_y: float
    subtitle_y: float
    notes_y: float  # baseline of the first note under the title (and subtitle)
    first_header_y: float
    header_y: float
    first_capacity: int
    capacity: int

    def row_y(self, header_y: float, slot: int) -> float:
        return header_y - 17.0 - slot * ROW_PITCH


def geometry(page_size: tuple[float, float], has_subtitle: bool, notes: int = 0) -> Geometry:
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
    above_notes = subtitle_y if has_subtitle else title_y
    notes_y = above_notes - NOTE_PITCH
    first_header_y = above_notes - notes * NOTE_PITCH - 24.0
    header_y = top - HEADER_SIZE

    def capacity(header: float) -> int:
        return int((header - 17.0 - TABLE_BOTTOM) // ROW_PITCH) + 1

    return Geometry(
        width=width,
        height=height,
        col_x=tuple(round(v, 2) for v in xs),
        col_w=tuple(round(v, 2) for v in widths),
        table_w=table_w,
        title_y=title_y,
        subtitle_y=subtitle_y,
        notes_y=notes_y,
        first_header_y=first_header_y,
        header_y=header_y,
        first_capacity=capacity(first_header_y),
        capacity=capacity(header_y),
    )


def rows_per_page(
    page_size: tuple[float, float] = A4,
    *,
    first: bool = False,
    subtitle: bool = True,
    notes: int = 0,
) -> int:
    """How many signer rows fit on a page (page one also carries the title and notes)."""
    layout = geometry(page_size, subtitle, notes)
    return layout.first_capacity if first else layout.capacity

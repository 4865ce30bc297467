"""CSV cells that spreadsheet programs cannot run as formulas (invariant 6 of the brief).

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
run as a formula by Excel, LibreOffice and others; ``neutralise`` puts an
apostrophe in front of it, and ``unneutralise`` takes it off again when our
own export is imported back. Numbers such as phone numbers ("+49 89 ...",
"-1 234") are left alone: they are values, not formulas, and must
round-trip.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().-]+$")


def neutralise(value: str) -> str:
    if value.startswith(FORMULA_START) and not _NUMBER_LIKE.match(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value

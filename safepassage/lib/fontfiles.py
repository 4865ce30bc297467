"""Finding font files on the host, for everything that draws text itself.

The packets' list writer (packets/fonts.py) and the share picture
(signatures/shareimage.py) both look for Debian's Noto packages at their
fixed paths first, then ask fontconfig. fontconfig always answers with
something, so an answer counts only if it is the family asked for.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def fc_match(pattern: str) -> str | None:
    """The file fontconfig gives for ``pattern``; None if it only offers a substitute."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, pattern from our own tables
            ["fc-match", "--format=%{file}\n%{family}", pattern],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.splitlines()
    if len(lines) < 2 or not lines[0]:
        return None
    wanted_family = pattern.split(":", 1)[0].lower()
    if wanted_family not in lines[1].lower():
        return None
    return lines[0]


def find_font(paths: Sequence[str], pattern: str) -> str | None:
    """The first of ``paths`` that exists, else fontconfig's file for ``pattern``, else None."""
    for path in paths:
        if Path(path).is_file():
            return path
    found = fc_match(pattern)
    return found if found and Path(found).is_file() else None


def cjk_face_for_language(language: str) -> int:
    """Index of the NotoSansCJK collection face whose ideograph shapes suit ``language``.

    Faces in file order (checked with fontTools): 0 JP, 1 KR, 2 SC, 3 TC,
    4 HK. Hangul and kana look the same in all of them.
    """
    lang = language.lower().replace("_", "-")
    if lang.startswith("ja"):
        return 0
    if lang.startswith("ko"):
        return 1
    if lang in ("zh-hk", "zh-mo", "yue") or lang.startswith("zh-hant-hk"):
        return 4
    if lang.startswith("zh-hant") or lang in ("zh-tw",):
        return 3
    return 2

"""The Korean interface catalogue covers every message, and what is served is compiled from it.

``makemessages`` runs on a copy of the source tree, so a string added or
changed without its translation fails here rather than showing in English
(or, fuzzy, not at all) to a Korean-speaking signer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, require

CATALOGUE = Path("locale/ko/LC_MESSAGES")


def gettext_tools() -> None:
    tools = ("xgettext", "msgmerge", "msgfmt", "msgattrib", "msgunfmt")
    require(all(shutil.which(tool) for tool in tools), "GNU gettext (" + ", ".join(tools) + ")")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, check=True
    )


def test_every_message_of_the_interface_has_a_korean_translation(tmp_path: Path) -> None:
    gettext_tools()
    tree = tmp_path / "tree"
    skip = shutil.ignore_patterns("__pycache__", "*.mo")
    for name in ("safepassage", "templates", "locale"):
        shutil.copytree(ROOT / name, tree / name, ignore=skip)
    shutil.copy(ROOT / "manage.py", tree)

    run(sys.executable, "manage.py", "makemessages", "-l", "ko", "--no-obsolete", cwd=tree)

    po = tree / CATALOGUE / "django.po"
    statistics = run("msgfmt", "--statistics", "-o", "/dev/null", po).stderr
    translated = int(statistics.split()[0])
    assert translated > 1000, statistics
    # The header entry is fuzzy by convention; any other fuzzy or empty entry is a gap.
    gaps = run("msgattrib", "--untranslated", "--no-obsolete", po).stdout
    fuzzy = run("msgattrib", "--only-fuzzy", "--no-obsolete", po).stdout
    assert "untranslated" not in statistics, gaps
    assert "fuzzy" not in statistics, fuzzy


def test_the_compiled_catalogue_is_the_catalogue(tmp_path: Path) -> None:
    gettext_tools()
    compiled = tmp_path / "django.mo"
    run("msgfmt", "--check", "-o", compiled, ROOT / CATALOGUE / "django.po")

    shipped = run("msgunfmt", ROOT / CATALOGUE / "django.mo").stdout
    assert shipped == run("msgunfmt", compiled).stdout, "run msgfmt on the .po and commit the .mo"

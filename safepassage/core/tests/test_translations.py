"""Every catalogue covers every message of the interface, and what is served is compiled from it.

``makemessages`` runs on a copy of the source tree, so a string added or
changed without its translation in all nine other languages fails here rather
than showing in English (or, fuzzy, not at all) to a signer of that language.
docs/translations.md says how a catalogue is written, reviewed and updated.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import to_locale

from conftest import ROOT, require

# Every configured language but the source language (English) has a catalogue of its own.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue(code: str) -> Path:
    return Path("locale") / to_locale(code) / "LC_MESSAGES"


def gettext_tools() -> None:
    tools = ("xgettext", "msgmerge", "msgfmt", "msgattrib", "msgunfmt")
    require(all(shutil.which(tool) for tool in tools), "GNU gettext (" + ", ".join(tools) + ")")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def remade(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree whose catalogues makemessages has brought up to date with the code."""
    gettext_tools()
    tree = tmp_path_factory.mktemp("tree")
    skip = shutil.ignore_patterns("__pycache__", "*.mo")
    for name in ("safepassage", "templates", "locale"):
        shutil.copytree(ROOT / name, tree / name, ignore=skip)
    shutil.copy(ROOT / "manage.py", tree)
    # One run: the messages are collected once and merged into each catalogue.
    locales = [arg for code in TRANSLATED for arg in ("-l", to_locale(code))]
    run(sys.executable, "manage.py", "makemessages", *locales, "--no-obsolete", cwd=tree)
    return tree


def test_the_ten_languages_have_nine_catalogues() -> None:
    assert len(TRANSLATED) == 9
    for code in TRANSLATED:
        assert (ROOT / catalogue(code) / "django.po").is_file(), code


@pytest.mark.slow  # makemessages over a copy of the whole tree for nine catalogues
@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_of_the_interface_is_translated(remade: Path, code: str) -> None:
    po = remade / catalogue(code) / "django.po"
    statistics = run("msgfmt", "--statistics", "-o", "/dev/null", po).stderr
    translated = int(statistics.split()[0])
    assert translated > 1000, statistics
    # The header entry is fuzzy by convention; any other fuzzy or empty entry is a gap.
    gaps = run("msgattrib", "--untranslated", "--no-obsolete", po).stdout
    fuzzy = run("msgattrib", "--only-fuzzy", "--no-obsolete", po).stdout
    assert "untranslated" not in statistics, gaps
    assert "fuzzy" not in statistics, fuzzy


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_the_catalogue(tmp_path: Path, code: str) -> None:
    gettext_tools()
    compiled = tmp_path / "django.mo"
    run("msgfmt", "--check", "-o", compiled, ROOT / catalogue(code) / "django.po")

    shipped = run("msgunfmt", ROOT / catalogue(code) / "django.mo").stdout
    assert shipped == run("msgunfmt", compiled).stdout, "run msgfmt on the .po and commit the .mo"

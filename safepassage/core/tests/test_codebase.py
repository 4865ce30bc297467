"""The shape of the code itself: no module grows past what a reader takes in at once."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT

MAX_LINES = 450
SOURCE_DIRS = ("safepassage", "bench", "scripts")


def python_modules() -> list[Path]:
    """Every Python module of the project outside migrations and tests.

    Programs without a suffix in bench/ and scripts/ count when they are Python.
    """
    found: list[Path] = [ROOT / "manage.py"]
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if not path.is_file() or "migrations" in parts or "tests" in parts:
                continue
            if path.suffix == ".py" or (path.suffix == "" and _is_python_program(path)):
                found.append(path)
    return found


def _is_python_program(path: Path) -> bool:
    with path.open("rb") as file:
        return b"python" in file.readline()


def test_the_walk_finds_the_modules_it_must_check():
    names = {str(path.relative_to(ROOT)) for path in python_modules()}
    assert {"safepassage/settings.py", "bench/signing_env.py", "scripts/import-graph"} <= names
    assert not any("/migrations/" in name or "/tests/" in name for name in names)


def test_no_module_is_longer_than_450_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in python_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines each): {too_long}"

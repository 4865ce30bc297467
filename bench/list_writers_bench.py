"""The packets' signer-list writer against fpdf2 and ReportLab, on the same list.

Issue 19 keeps the project's own list writer (safepassage/packets/listpdf.py
and its helpers) only if a library cannot reach the packets' target. Each
writer writes the same list: ``-n`` rows (default 20,000) with the name mix
of bench/packets (88 % Latin, 6 % Hangul, 2 % Chinese, 2 % Japanese kana,
1.5 % Cyrillic, 0.5 % Arabic) and its places (one row in ten in 서울), columns
number, name, city, region, country, on the packet's page layout. Names do
not repeat (as real signers' names mostly do not), unless ``--packets-names``
takes bench/packets' few dozen per script.

Per writer, three runs, each in its own process (for its peak memory):

* ``mix``: the list above; rows/s, pages, output size, and the text read back
  with pdftotext must contain one name of each script, "Page 1 of N" and the
  totals (Arabic: in logical order, or how it came out);
* ``latin``: only Latin and Cyrillic names and cities, for µs per plain row;
* ``shaped``: only Hangul, Chinese, kana and Arabic names, for µs per shaped row.

Before the timed list each run writes a 50-row list (loading fonts, "first
call"), then the first 100 rows of its set three times (the fastest counts):
a document's fixed cost, paid once per mission, and the per-row cost is the
slope between that and the full list. The candidates are optional
dependencies: ``.venv/bin/pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from packets_bench import FIRST, LAST, SCRIPT_WEIGHTS
from procstat import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
sys.path.insert(0, str(ROOT))

from list_writers_candidates import WQY_ZENHEI, Row, needs_shaping  # noqa: E402

WRITERS = ("listpdf", "fpdf2", "reportlab", "reportlab-ttf")
MODULE_OF = {"fpdf2": "fpdf", "reportlab": "reportlab", "reportlab-ttf": "reportlab"}
# (country, region, city) as the packet prints them in English; bench/packets' places.
PLACES = [
    ("United States", "California", "Los Angeles"),
    ("United States", "New York", "New York"),
    ("South Korea", "Seoul", "서울"),
    ("Japan", "Tokyo", "Tokyo"),
    ("Germany", "Berlin", "Berlin"),
    ("United Kingdom", "England", "London"),
    ("Canada", "Ontario", "Toronto"),
    ("France", "Île-de-France", "Paris"),
    ("Australia", "New South Wales", "Sydney"),
    ("Brazil", "São Paulo", "São Paulo"),
]
SETS = {
    "mix": (dict(SCRIPT_WEIGHTS), PLACES),
    "latin": ({"latin": 88, "cyrillic": 1.5}, [p for p in PLACES if not needs_shaping(p[2])]),
    "shaped": ({"hangul": 6, "han": 2, "kana": 2, "arabic": 0.5}, PLACES),
}
TITLE = "Petition to Xi Jinping, President of the People's Republic of China"
SUBTITLE = "Signatures handed to the Embassy of the PRC in Berlin — Safe Passage"
HEADERS = ("No.", "Name", "City", "Region", "Country")
# The figures of the last full bench/packets run (docs/performance.md), for the extrapolation.
SMALL = 100  # rows of the small list that measures the cost of one more document
BUILD_ROWS, BUILD_MISSIONS, BUILD_WORKERS, BUILD_WALL, TARGET_WALL = 898_440, 280, 2, 54.5, 60.0
LISTPDF_PLAIN_US, LISTPDF_SHAPED_US = 20.0, 80.0


def say(text: str = "") -> None:
    print(text, flush=True)


# Given-name material for names that do not repeat: bench/packets draws from a
# few dozen names per script, which a writer that caches shaped values (listpdf
# does) meets again and again, unlike real signers.
HAN_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕彬"
    "梅琳颖慧鑫宇浩然轩梓涵诺欣怡博文思远晨曦雨萱俊嘉琪"
)
ARABIC_NAMES = [
    *FIRST["arabic"],
    *("أحمد", "علي", "عمر", "خالد", "ليلى", "مريم", "سارة", "حسن", "نور", "زينب", "كريم"),
    *("سلمى", "طارق", "رنا", "هدى", "سامي", "عائشة", "إبراهيم", "ياسمين", "منى"),
]


def _name(rng: random.Random, script: str, i: int, unique: bool) -> str:
    first, last = rng.choice(FIRST[script]), rng.choice(LAST[script])
    if script in ("latin", "cyrillic"):
        return f"{first} {last}-{i % 9973}" if script == "latin" or unique else f"{first} {last}"
    if not unique:
        return f"{first} {last}"
    if script == "hangul":  # family name first, then two syllables
        return last + "".join(chr(rng.randrange(0xAC00, 0xD7A4)) for _ in range(2))
    if script == "han":
        return last + "".join(rng.choices(HAN_GIVEN, k=rng.choice((1, 2))))
    if script == "kana":
        return "".join(chr(rng.randrange(0x3042, 0x3094)) for _ in range(3)) + " " + last
    return " ".join((rng.choice(ARABIC_NAMES), rng.choice(ARABIC_NAMES), last))


def make_rows(which: str, n: int, seed: int, unique: bool = True) -> tuple[list[Row], list[str]]:
    """``n`` numbered rows of set ``which``, and each row's script."""
    weights, places = SETS[which]
    rng = random.Random(seed)
    scripts = rng.choices(list(weights), weights=list(weights.values()), k=n)
    rows: list[Row] = []
    for i, script in enumerate(scripts):
        country, region, city = places[i % len(places)]
        rows.append((i + 1, _name(rng, script, i, unique), city, region, country))
    return rows, scripts


def totals(rows: int) -> list[str]:
    return [f"Signers named: {rows}", "Total for this mission: 0", "Total of the petition: 0"]


def writer_function(name: str) -> Callable[[Sequence[Row]], tuple[bytes, int]]:
    if name == "listpdf":
        from safepassage.packets.listpdf import ListRow, render_signer_list

        def listpdf(rows: Sequence[Row]) -> tuple[bytes, int]:
            result = render_signer_list(
                (ListRow(*row) for row in rows),
                title=TITLE,
                subtitle=SUBTITLE,
                headers=HEADERS,
                totals=totals(len(rows)),
                page_label="Page {page} of {pages}",
                language="en",
            )
            return result.pdf, result.pages

        return listpdf
    import list_writers_candidates as candidates

    write = {"fpdf2": candidates.write_fpdf2, "reportlab": candidates.write_reportlab}[
        name.removesuffix("-ttf")
    ]
    extra = {"embedded_cjk": True} if name == "reportlab-ttf" else {}
    return lambda rows: write(
        rows, title=TITLE, subtitle=SUBTITLE, headers=HEADERS, totals=totals(len(rows)), **extra
    )


def run_one(writer: str, which: str, n: int, seed: int, out: Path, unique: bool) -> dict[str, Any]:
    """One writer on one set, in this process (the child of the driver)."""
    rows, _scripts = make_rows(which, n, seed, unique)
    write = writer_function(writer)
    started = time.perf_counter()
    write(make_rows("mix", 50, seed + 1, unique)[0])
    first_call = time.perf_counter() - started
    small = rows[:SMALL]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        write(small)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    pdf, pages = write(rows)
    seconds = time.perf_counter() - started
    out.write_bytes(pdf)
    return {
        "writer": writer,
        "set": which,
        "rows": len(rows),
        "seconds": seconds,
        "small_seconds": min(times),
        "pages": pages,
        "bytes": len(pdf),
        "first_call": first_call,
        "peak_rss_mb": peak_rss_mb(),
    }


def per_row(run: dict[str, Any]) -> float:
    """Seconds per row beyond a document's fixed cost: slope between the small and the full list."""
    if run["rows"] <= 2 * SMALL:
        return float(run["seconds"] / run["rows"])
    return float(max(0.0, run["seconds"] - run["small_seconds"]) / (run["rows"] - SMALL))


def per_document(run: dict[str, Any]) -> float:
    """Seconds a document costs whatever its rows (font subsets, file structure)."""
    return max(0.0, float(run["small_seconds"]) - SMALL * per_row(run))


def spawn(writer: str, which: str, n: int, seed: int, out: Path, unique: bool) -> dict[str, Any]:
    command = [str(PYTHON), str(Path(__file__).resolve().parent / "list_writers")]
    command += ["--phase", "run", "--writer", writer, "--set", which, "-n", str(n)]
    command += ["--seed", str(seed), "--out", str(out)] + ([] if unique else ["--packets-names"])
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{writer}/{which} failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def check_text(pdf: Path, rows: list[Row], scripts: list[str], pages: int) -> tuple[bool, str]:
    """Read the list back with pdftotext: a name of each script, the page label, the totals."""
    if shutil.which("pdftotext") is None:
        return False, "pdftotext missing (Debian's poppler-utils)"
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=False
    )
    text = re.sub(r"\s+", " ", result.stdout)
    squeezed = text.replace(" ", "")
    found, missing, notes = [], [], []
    for script in FIRST:
        if script not in scripts:
            continue
        name = rows[scripts.index(script)][1]
        if name in text or (script in ("han", "kana") and name.replace(" ", "") in squeezed):
            # pdftotext drops the space between ideographs
            found.append(script)
        elif script == "arabic" and all(word in text for word in name.split()):
            found.append(script)
            notes.append("Arabic words in swapped order")
        elif script == "arabic" and name[::-1] in text:
            missing.append(script)
            notes.append("Arabic reversed (visual order)")
        elif script == "arabic" and name in unicodedata.normalize("NFKC", text):
            missing.append(script)
            notes.append("Arabic only as presentation forms (found after NFKC)")
        else:
            missing.append(script)
    for label, wanted in (("page label", f"Page 1 of {pages}"), ("totals", "Signers named:")):
        (found if wanted in text else missing).append(label)
    if "arabic" in found and not notes:
        notes.append("Arabic in logical order")
    summary = f"{len(found)}/{len(found) + len(missing)} found"
    if missing:
        summary += " (missing: " + ", ".join(missing) + ")"
    return not missing, "; ".join([summary, *notes])


def missing(writer: str) -> str:
    """What ``writer`` lacks on this machine, and how to install it; "" if nothing."""
    if writer != "listpdf" and importlib.util.find_spec(MODULE_OF[writer]) is None:
        return "not installed: .venv/bin/pip install -e '.[bench]'"
    if writer == "reportlab-ttf" and not WQY_ZENHEI.is_file():
        return f"needs {WQY_ZENHEI}: apt-get install fonts-wqy-zenhei"
    return ""


def extrapolate(results: dict[str, dict[str, Any]], shaped_share: float) -> None:
    """Each writer's list in the 1,000,000-signature build on 2 cores, against the 60 s target.

    Relative to listpdf in the same run, so that a busy machine slows all alike:
    the build took BUILD_WALL s with listpdf, whose list costs (quiet machine,
    docs/performance.md) LISTPDF_PLAIN_US per plain row and LISTPDF_SHAPED_US
    per shaped row; another writer's list costs that times its ratio to
    listpdf here (rows and the per-document cost of 280 lists).
    """
    if "listpdf" not in results:
        return

    def list_cost(r: dict[str, Any]) -> float:
        return BUILD_ROWS * per_row(r["mix"]) + BUILD_MISSIONS * per_document(r["mix"])

    quiet_list = (
        BUILD_ROWS
        * 1e-6
        * ((1 - shaped_share) * LISTPDF_PLAIN_US + shaped_share * LISTPDF_SHAPED_US)
    )
    rest = BUILD_WORKERS * BUILD_WALL - quiet_list
    budget = BUILD_WORKERS * TARGET_WALL - rest
    say("")
    say(
        f"1,000,000-signature build ({BUILD_ROWS:,} named rows, {shaped_share:.0%} shaped, "
        f"{BUILD_MISSIONS} lists, {BUILD_WORKERS} workers): {BUILD_WORKERS * TARGET_WALL:.0f} "
        f"core-s under the {TARGET_WALL:.0f} s target. With listpdf it took {BUILD_WALL} s, the "
        f"list about {quiet_list:.0f} core-s of it; so the list may take {budget:.0f} core-s: "
        f"at least {BUILD_ROWS / budget:,.0f} rows/s per core, {budget / BUILD_ROWS * 1e6:.0f} "
        "µs per row with documents' fixed costs included"
    )
    base = list_cost(results["listpdf"])
    for writer, r in results.items():
        ratio = list_cost(r) / base
        cost = quiet_list * ratio
        wall = (rest + cost) / BUILD_WORKERS
        verdict = "MET" if wall < TARGET_WALL else "MISSED"
        say(
            f"  {writer:<13} {ratio:5.1f} x listpdf here -> list about {cost:5.0f} core-s, "
            f"build about {wall:5.0f} s: {verdict}"
        )


def print_table(results: dict[str, dict[str, Any]], checks: dict[str, str]) -> None:
    header = (
        f"{'writer':<13} {'rows/s':>7} {'µs/row':>7} {'µs plain':>8} {'µs shaped':>9} "
        f"{'doc ms':>7} {'1st call s':>10} {'peak MB':>7} {'pages':>5} {'size MB':>7}"
        "  text read back"
    )
    say(header)
    say("-" * len(header))
    for writer, r in results.items():
        mix, plain, shaped = r["mix"], r["latin"], r["shaped"]
        say(
            f"{writer:<13} {mix['rows'] / mix['seconds']:>7,.0f} {per_row(mix) * 1e6:>7.1f} "
            f"{per_row(plain) * 1e6:>8.1f} {per_row(shaped) * 1e6:>9.1f} "
            f"{per_document(mix) * 1e3:>7.1f} {mix['first_call']:>10.2f} "
            f"{max(s['peak_rss_mb'] for s in (mix, plain, shaped)):>7.0f} {mix['pages']:>5} "
            f"{mix['bytes'] / 1e6:>7.2f}  {checks[writer]}"
        )
    say(
        "rows/s: the whole mix list; µs/row: its rows beyond the fixed cost (slope between a "
        f"{SMALL}-row and the full list); plain: Latin and Cyrillic rows; shaped: Hangul, Chinese, "
        "kana and Arabic names; doc: fixed cost of one more list; 1st call: a first 50-row list "
        "in a fresh process (fonts); peak: the largest resident size of the three processes"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/list_writers", description=__doc__.split("\n")[0])
    parser.add_argument(
        "-n", "--rows", type=int, default=20_000, help="rows of the mix and latin lists"
    )
    parser.add_argument("--shaped-rows", type=int, help="rows of the shaped list (default n/4)")
    parser.add_argument(
        "--writers", default=",".join(WRITERS), help=f"comma-separated, of {', '.join(WRITERS)}"
    )
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument(
        "--packets-names",
        action="store_true",
        help="bench/packets' few dozen names per script (repeating) instead of names that do not",
    )
    parser.add_argument("--keep", type=Path, help="keep the PDFs in this folder")
    parser.add_argument("--phase", default="all", help=argparse.SUPPRESS)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--set", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    unique = not options.packets_names
    if options.phase == "run":
        run = run_one(options.writer, options.set, options.rows, options.seed, options.out, unique)
        print(json.dumps(run))
        return 0

    writers = [w.strip() for w in options.writers.split(",") if w.strip()]
    unknown = [w for w in writers if w not in WRITERS]
    if unknown:
        parser.error(f"unknown writers {unknown}; choose from {', '.join(WRITERS)}")
    shaped_rows = options.shaped_rows or max(1, options.rows // 4)
    say(
        f"bench/list_writers -n {options.rows} --shaped-rows {shaped_rows} "
        f"--writers {','.join(writers)}" + ("" if unique else " --packets-names")
    )
    say(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; one process per run")
    for writer in writers:
        if missing(writer):
            say(f"  {writer} skipped, {missing(writer)}")
    writers = [w for w in writers if not missing(w)]
    work = options.keep or Path(tempfile.mkdtemp(prefix="safepassage-list-writers-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    checks: dict[str, str] = {}
    ok = True
    try:
        for writer in writers:
            results[writer] = {}
            for which in SETS:
                n = shaped_rows if which == "shaped" else options.rows
                r = spawn(writer, which, n, options.seed, work / f"{writer}-{which}.pdf", unique)
                results[writer][which] = r
                say(f"  {writer:<13} {which:<7} {r['rows']:>7,} rows in {r['seconds']:7.2f} s")
            rows, scripts = make_rows("mix", options.rows, options.seed, unique)
            mix = results[writer]["mix"]
            good, checks[writer] = check_text(
                work / f"{writer}-mix.pdf", rows, scripts, mix["pages"]
            )
            ok = ok and good
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    say("")
    print_table(results, checks)
    rows, _scripts = make_rows("mix", options.rows, options.seed, unique)
    shaped = sum(any(needs_shaping(value) for value in row[1:]) for row in rows) / len(rows)
    extrapolate(results, shaped)
    return 0 if ok else 1

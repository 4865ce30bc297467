"""Does signing again answer slower than signing anew? A timing oracle, measured.

"Already signed" must look and time the same as a new signature (brief,
section 3b): otherwise anyone can learn remotely whether an address signed,
by timing the answer to a submission of it. This benchmark starts the
application as production runs it (a copy of the code, a fresh SQLite
database, gunicorn with its signing writer, the mail worker; see
bench/signing_env.py), signs ``-n`` addresses once, and then sends
alternately a new address and a variant of an already-signed one (upper
case, as a person might type it again), ``-n`` of each, one at a time over
one kept-alive connection, timing each answer from the first byte sent to
the last byte read. It prints both medians, their difference and a p-value
for "both kinds of answer take equally long": Mann-Whitney U from scipy if
it is installed, else a permutation test of the difference of the medians.

A benchmark, not a test: its figures move with the machine. The test that
holds the property by construction compares the SQL of both kinds of
submission (safepassage/signatures/tests/test_oracle.py).
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from signing_env import (
    COLLECTSTATIC,
    HOST,
    BenchError,
    Database,
    collected,
    free_port,
    manage,
    migrated,
    production_env,
    running_application,
    say,
    snapshot_application,
    with_city_index,
)
from signing_load import load_signing_form


class Signer:
    """One kept-alive connection that POSTs the signing form and times the answer."""

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.form = load_signing_form(port, path)
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def post(self, email: str) -> float:
        """Seconds from sending the form to the end of the answer (a redirect)."""
        body = self.form.body(email)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={self.form.cookie}",
        }
        started = time.perf_counter()
        self.conn.request("POST", self.form.path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 302:
            raise BenchError(f"a submission was answered {response.status}, not 302")
        return elapsed

    def close(self) -> None:
        self.conn.close()


def permutation_p(a: Sequence[float], b: Sequence[float], rounds: int, seed: int = 1) -> float:
    """Two-sided p-value of the difference of medians, by shuffling the labels ``rounds`` times.

    The share of random relabellings whose difference of medians is at
    least as large (in absolute value) as the observed one, counting the
    observed labelling itself, so that p is never 0.
    """
    observed = abs(statistics.median(b) - statistics.median(a))
    pooled = list(a) + list(b)
    cut = len(a)
    shuffler = random.Random(seed)
    extreme = 0
    for _ in range(rounds):
        shuffler.shuffle(pooled)
        difference = abs(statistics.median(pooled[cut:]) - statistics.median(pooled[:cut]))
        if difference >= observed:
            extreme += 1
    return (extreme + 1) / (rounds + 1)


def p_value(new: Sequence[float], repeat: Sequence[float], rounds: int) -> tuple[float, str]:
    try:
        from scipy.stats import mannwhitneyu  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return permutation_p(new, repeat, rounds), f"permutation test, {rounds:,} relabellings"
    return float(mannwhitneyu(new, repeat, alternative="two-sided").pvalue), "Mann-Whitney U"


def measure(port: int, path: str, samples: int, warmup: int, rounds: int) -> None:
    signer = Signer(port, path)
    try:
        for n in range(warmup):
            signer.post(f"warmup{n}@example.org")
        for n in range(samples):
            signer.post(f"known{n}@example.org")
        new: list[float] = []
        repeat: list[float] = []
        # Alternate, starting with a random kind, so that drift of the machine
        # (other load, the mail worker, the database growing) weighs on both.
        first_new = random.Random(samples).random() < 0.5
        for n in range(samples):
            pair = [("new", f"new{n}@example.org"), ("repeat", f"KNOWN{n}@EXAMPLE.ORG")]
            for kind, email in pair if first_new else reversed(pair):
                (new if kind == "new" else repeat).append(signer.post(email))
    finally:
        signer.close()
    median_new = statistics.median(new) * 1000
    median_repeat = statistics.median(repeat) * 1000
    p, method = p_value(new, repeat, rounds)
    say(f"samples: {len(new)} new, {len(repeat)} already signed, alternating")
    say(f"median new:            {median_new:.3f} ms")
    say(f"median already signed: {median_repeat:.3f} ms")
    say(f"difference (already signed - new): {median_repeat - median_new:+.3f} ms")
    say(f"p-value ({method}): {p:.4g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/oracle", description=(__doc__ or "").split("\n", 1)[0]
    )
    parser.add_argument(
        "-n", "--samples", type=int, default=1000, help="submissions of each kind (default 1000)"
    )
    parser.add_argument("--warmup", type=int, default=50, help="submissions before measuring")
    parser.add_argument(
        "--rounds", type=int, default=2000, help="relabellings of the permutation test"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    options = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="safepassage-oracle-"))
    try:
        app_dir = snapshot_application(work_dir)
        data_dir = work_dir / "data"
        data_dir.mkdir()
        database = Database("sqlite", data_dir, "")
        port = free_port()
        env = production_env(data_dir, port, database.url)
        with_city_index(app_dir, env)
        migrated(
            app_dir, database.url, lambda: manage(app_dir, env, "migrate", "--noinput", "-v", "0")
        )
        collected(app_dir, data_dir / "static", lambda: manage(app_dir, env, *COLLECTSTATIC))
        demo = manage(app_dir, env, "load_demo").strip()
        match = re.search(r"https?://[^/\s]+(/\S*)", demo)
        if not match:
            raise BenchError(f"cannot find the petition URL in load_demo's output: {demo!r}")
        path = urllib.parse.urlsplit(match.group(1)).path
        say(f"bench/oracle: SQLite, gunicorn {options.workers}x{options.threads} on {HOST}:{port}")
        with running_application(
            app_dir, env, port, options.workers, options.threads, data_dir
        ) as app:
            try:
                measure(port, path, options.samples, options.warmup, options.rounds)
            except Exception:
                say(app.tail_logs())
                raise
    except BenchError as error:
        say(f"bench/oracle: {error}")
        return 1
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU of an idle ``manage.py worker``, on SQLite and on PostgreSQL.

An idle worker should cost next to nothing (target: under 0.2 % of one core
per worker). For each database this sets up a fresh deployment with the demo
campaign (``load_demo``), starts one worker as production does, lets it
settle, then reads its CPU time (user + system, all threads, from /proc)
over ``--seconds``, housekeeping sweeps included (one a minute).

``--tree DIR`` measures another checkout of the project instead of this one
(e.g. ``git worktree add /tmp/old <commit>``), so that old and new code can be
measured side by side in one session: run this script from each tree, or
twice from one with ``--tree``.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from procstat import process_cpu
from signing_env import (
    PYTHON,
    ROOT,
    Database,
    free_port,
    manage,
    migrated,
    production_env,
    say,
    stop_processes,
    with_city_index,
)

TARGET = 0.2  # % of one core


def measure(kind: str, tree: Path, seconds: float, settle: float, pg_admin_url: str) -> float:
    with tempfile.TemporaryDirectory(prefix="sp-idle-") as tmp:
        data_dir = Path(tmp)
        database = Database(kind, data_dir, pg_admin_url)
        database.create()
        try:
            env = production_env(data_dir, free_port(), database.url)
            with_city_index(tree, env)
            migrated(tree, database.url, lambda: manage(tree, env, "migrate", "--noinput"))
            manage(tree, env, "load_demo")
            with open(data_dir / "worker.log", "wb") as log:
                worker = subprocess.Popen(
                    [str(PYTHON), "manage.py", "worker"],
                    cwd=tree,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            try:
                time.sleep(settle)  # start-up, the first sweep's catching up, the waits growing
                before = process_cpu(worker.pid)
                started = time.monotonic()
                time.sleep(seconds)
                used = process_cpu(worker.pid) - before
                elapsed = time.monotonic() - started
                if worker.poll() is not None:
                    raise SystemExit(f"the worker exited; see {data_dir / 'worker.log'}")
            finally:
                stop_processes([worker])
        finally:
            database.drop()
    return 100 * used / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/idle_worker", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the measurement")
    parser.add_argument("--settle", type=float, default=70.0, help="seconds before measuring")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where to create (and drop) the benchmark's database",
    )
    options = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if options.db == "both" else [options.db]
    say(f"idle worker of {options.tree}: {options.seconds:.0f} s after {options.settle:.0f} s")
    worst = 0.0
    for kind in kinds:
        share = measure(kind, options.tree, options.seconds, options.settle, options.pg_admin_url)
        worst = max(worst, share)
        say(f"  {kind:<9} {share:.3f} % of one core")
    verdict = "met" if worst < TARGET else "MISSED"
    say(f"  target: under {TARGET} % of one core per idle worker: {verdict}")
    return 0

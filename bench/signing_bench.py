"""Benchmark of the signing path as it runs in production (run it as ``bench/signing``).

Why it is built this way:

* The application is started exactly as docs and README tell an operator to:
  ``manage.py migrate``/``collectstatic``/``load_demo``, gunicorn with gthread
  workers, one ``manage.py worker``, DEBUG off, real secrets, a real database
  file or server. Numbers from ``runserver`` or the test client would measure
  something nobody deploys.
* Every submission carries a fresh e-mail address, so each one is a new
  signature that goes through validation, hashing, encryption, the group
  commit and the outbox, never the cheaper "signed again" branch.
* Throughput comes from wrk (closed loop, several concurrency levels); latency
  at a realistic arrival rate comes from a fixed-rate client that measures
  from each request's scheduled start (see bench/fixed_rate.py).
* After every run the number of ``Signature`` rows added since the demo was
  loaded must equal the number of 302 answers: an acknowledged signature that
  is missing, or a row nobody was told about, is a correctness failure, not a
  performance figure.
* The machine has two cores shared by the server, the mail worker, the
  database and the load generator, so the CPU time of each is reported,
  together with that of everything else on the machine.

The code is split by concept: signing_env.py (processes, database and
application set-up and teardown), signing_load.py (the signing form, wrk,
the fixed-rate client and py-spy), signing_report.py (CPU accounting, the
row check, the results table and targets) and this module (options and the
sequence of runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import secrets
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from signing_env import (
    COLLECTSTATIC,
    HOST,
    PG_DATABASE,
    Application,
    BenchError,
    Database,
    collected,
    free_port,
    machine_note,
    manage,
    migrated,
    production_env,
    running_application,
    say,
    snapshot_application,
    wait_mail_drained,
    with_city_index,
)
from signing_load import (
    PROOFS_PER_SECOND,
    ensure_wrk,
    fetch_challenge,
    finish_profilers,
    load_signing_form,
    run_fixed_rate,
    run_wrk,
    sign_once,
    solve_proofs,
    start_profilers,
)
from signing_report import (
    CpuMeter,
    DatabaseReport,
    Ledger,
    LoadRun,
    describe,
    print_summary,
    write_markdown,
)

from safepassage.core.tests.kept import source_fingerprint
from safepassage.lib import pow

# --------------------------------------------------------------------------- one database

# The difficulty with --challenge: the server's cost does not depend on it, and a lower
# one lets this script solve tens of thousands of challenges before the load in seconds.
CHALLENGE_MAX_NUMBER = 1000
SET_BOT_CHALLENGE = (
    "from safepassage.campaigns.models import Petition;"
    " Petition.objects.update(bot_challenge='{mode}')"
)


@dataclass
class Options:
    databases: list[str]
    workers: int
    threads: int
    connections: list[int]
    wrk_threads: int
    seconds: int
    grace: int
    warmup: int
    fixed_rate: float
    fixed_seconds: float
    fixed_connections: int
    drain_timeout: float
    pg_admin_url: str
    keep: bool
    py_spy_dir: Path | None
    challenge: bool = False


def after_run(
    app: Application, database: Database, ledger: Ledger, run: LoadRun, options: Options
) -> None:
    """Check the rows, then let the worker send the mail backlog before the next run."""
    ledger.check(app, run, run.acknowledged if run.expected_status == 302 else 0)
    run.mail_backlog = database.mail_backlog()
    if run.expected_status == 302 and run.mail_backlog:
        run.mail_drain_seconds = wait_mail_drained(database, options.drain_timeout)
        drained = (
            f"sent in {run.mail_drain_seconds:.1f} s more"
            if run.mail_drain_seconds is not None
            else f"NOT sent within {options.drain_timeout:.0f} s"
        )
        say(f"  mail still queued when the run ended: {run.mail_backlog}, {drained}")


def bench_database(
    kind: str, options: Options, wrk: str, app_dir: Path, work_dir: Path
) -> DatabaseReport:
    """Set up a fresh deployment on one database, run every measurement, tear it down."""
    report = DatabaseReport(database=kind)
    data_dir = work_dir / kind
    data_dir.mkdir()
    database = Database(kind, data_dir, options.pg_admin_url)
    port = free_port()
    env = production_env(data_dir, port, database.url)
    if options.challenge:
        # The browser's work only: the server verifies any solution with one hash and one HMAC.
        env["BOT_CHALLENGE_MAX_NUMBER"] = str(CHALLENGE_MAX_NUMBER)
    say(f"\n=== {kind}: data in {data_dir}, server on {HOST}:{port}")
    try:
        database.create()
        with_city_index(app_dir, env)
        migrated(
            app_dir, database.url, lambda: manage(app_dir, env, "migrate", "--noinput", "-v", "0")
        )
        collected(app_dir, data_dir / "static", lambda: manage(app_dir, env, *COLLECTSTATIC))
        demo = manage(app_dir, env, "load_demo").strip()
        say(f"  {demo}")
        mode = "always" if options.challenge else "off"
        manage(app_dir, env, "shell", "-c", SET_BOT_CHALLENGE.format(mode=mode))
        say(f"  bot challenge: {mode}")
        match = re.search(r"https?://[^/\s]+(/\S*)", demo)
        if not match:
            raise BenchError(f"cannot find the petition URL in load_demo's output: {demo!r}")
        path = match.group(1)
        say(f"  {database.settings_note()}")
        with running_application(
            app_dir, env, port, options.workers, options.threads, data_dir
        ) as app:
            say(f"  started: {' '.join(app.command)}")
            say(f"  workers: pids {app.worker_pids()}; mail worker pid {app.worker.pid}")
            try:
                key = pow.derive_key(env["SECRET_KEY"]) if options.challenge else None
                measure(app, database, report, path, options, wrk, key)
            except Exception:  # not on Ctrl-C: the logs would only be noise
                say(app.tail_logs())
                raise
    finally:
        database.drop()
    return report


def measure(
    app: Application,
    database: Database,
    report: DatabaseReport,
    path: str,
    options: Options,
    wrk: str,
    key: bytes | None = None,
) -> None:
    ledger = Ledger(database, report)
    meter = CpuMeter(app, database)
    form = load_signing_form(app.port, path)
    if key is not None:
        challenge = fetch_challenge(app.port, path)
        number = pow.solve(challenge)
        assert number is not None
        form.proofs.append(pow.payload(challenge, number))
    status = sign_once(app.port, form, f"sanity-{secrets.token_hex(4)}@example.org")
    if status != 302:
        raise BenchError(f"a valid signing POST answered {status}, not 302: see the logs")
    ledger.check(app, None, 1)
    if key is not None:
        runs = len(options.connections) + (1 if options.warmup else 0)
        count = PROOFS_PER_SECOND * (options.seconds * runs + options.warmup)
        count += round(options.fixed_rate * options.fixed_seconds) + 10
        say(f"\n  solving {count:,} proof-of-work challenges (maxnumber {CHALLENGE_MAX_NUMBER})")
        form.proofs = solve_proofs(key, count, CHALLENGE_MAX_NUMBER, 3600)

    def wrk_run(label: str, mode: str, target: str, connections: int, seconds: int) -> LoadRun:
        return run_wrk(
            wrk, app, meter, label, mode, target, form, connections,
            options.wrk_threads, seconds, options.grace,
        )  # fmt: skip

    if options.warmup:
        say(f"\n  warm-up: {options.warmup} s at 16 connections (not reported)")
        warm = wrk_run("warmup", "sign", path, 16, options.warmup)
        after_run(app, database, ledger, warm, options)

    for connections in options.connections:
        say(f"\n  signing: wrk, {connections} connections, {options.seconds} s")
        profilers = start_profilers(
            options.py_spy_dir, options.seconds, app, f"{database.kind}-c{connections}"
        )
        run = wrk_run(f"c{connections}", "sign", path, connections, options.seconds)
        finish_profilers(profilers)
        say(describe(run))
        report.runs.append(run)
        after_run(app, database, ledger, run, options)

    say(
        f"\n  signing at a fixed {options.fixed_rate:.0f}/s for {options.fixed_seconds:.0f} s"
        f" ({options.fixed_connections} keep-alive connections, latency from scheduled start)"
    )
    fixed = run_fixed_rate(
        app, meter, form, options.fixed_rate, options.fixed_seconds, options.fixed_connections
    )
    say(describe(fixed))
    report.fixed = fixed
    after_run(app, database, ledger, fixed, options)

    best = report.best
    connections = best.connections if best else options.connections[0]
    say(f"\n  floor: wrk GET /healthz, {connections} connections, {options.seconds} s")
    floor = wrk_run("healthz", "get", "/healthz", connections, options.seconds)
    say(describe(floor))
    report.floor = floor
    after_run(app, database, ledger, floor, options)
    held = database.query(
        "SELECT count(*) FROM signatures_signature WHERE review_reason LIKE '%proof of work%'"
    )[0][0]
    say(f"\n  signatures held for a missing or reused proof of work: {held}")
    if key is not None and held:
        raise BenchError(f"{held} submissions were held for their proof of work: see above")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> tuple[Options, Path | None]:
    parser = argparse.ArgumentParser(
        prog="bench/signing",
        description="Measure the signing path as it runs in production (gunicorn + worker).",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn --workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument(
        "--connections",
        default="16,64,128",
        help="wrk concurrency levels, comma-separated (default: 16,64,128)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument(
        "--grace", type=int, default=5, help="seconds wrk waits for answers after sending stops"
    )
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds (0: none)")
    parser.add_argument("--fixed-rate", type=float, default=500.0, help="submissions/s")
    parser.add_argument("--fixed-seconds", type=float, default=10.0)
    parser.add_argument("--fixed-connections", type=int, default=64)
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=180.0,
        help="longest wait for the worker to send queued mail between runs",
    )
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"where to create (and drop) the {PG_DATABASE} database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--py-spy", type=Path, default=None, metavar="DIR",
        help="profile the server (--gil) and the mail worker with py-spy during signing runs,"
        " keep the raw folded stacks in DIR and print a summary (.venv/bin/pip install py-spy)",
    )  # fmt: skip
    parser.add_argument(
        "--challenge", action="store_true",
        help="switch the petition's bot challenge on and post a solved proof of work with every"
        " submission (solved beforehand; without it the challenge is switched off)",
    )  # fmt: skip
    parser.add_argument("--markdown", type=Path, default=None, help="also write tables here")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.connections.split(",") if level.strip()]
    if not levels or min(levels) < 1:
        parser.error("--connections needs at least one positive number")
    if args.seconds < 1 or args.grace < 1 or args.fixed_rate <= 0:
        parser.error("--seconds and --grace must be >= 1 and --fixed-rate > 0")
    return Options(
        databases=["sqlite", "postgres"] if args.db == "both" else [args.db],
        workers=args.workers,
        threads=args.threads,
        connections=levels,
        wrk_threads=args.wrk_threads,
        seconds=args.seconds,
        grace=args.grace,
        warmup=args.warmup,
        fixed_rate=args.fixed_rate,
        fixed_seconds=args.fixed_seconds,
        fixed_connections=args.fixed_connections,
        drain_timeout=args.drain_timeout,
        pg_admin_url=args.pg_admin_url,
        keep=args.keep,
        py_spy_dir=args.py_spy,
        challenge=args.challenge,
    ), args.markdown


def main(argv: list[str] | None = None) -> int:
    options, markdown = parse_args(sys.argv[1:] if argv is None else argv)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    command = "bench/signing " + " ".join(sys.argv[1:] if argv is None else argv)
    say(f"{command}\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine_note()}")
    work_dir = Path(tempfile.mkdtemp(prefix="safepassage-bench-"))
    reports = []
    try:
        app_dir = snapshot_application(work_dir)
        source_note = f"application source fingerprint {source_fingerprint(app_dir)}"
        say(f"{source_note} (a copy of the working tree in {app_dir})")
        wrk = ensure_wrk()
        for kind in options.databases:
            reports.append(bench_database(kind, options, wrk, app_dir, work_dir))
    except BenchError as exc:
        say(f"\nBENCHMARK FAILED: {exc}")
        return 2
    except KeyboardInterrupt:
        say("\ninterrupted: everything started has been stopped")
        return 130
    finally:
        if options.keep:
            say(f"\nkept {work_dir} (application copy, data and logs)")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    print_summary(reports)
    if markdown is not None:
        write_markdown(markdown, reports, command, source_note)
    if not all(report.integrity_ok for report in reports):
        say("\n!!!!! MISMATCH between stored rows and acknowledged submissions: see above !!!!!")
        return 1
    return 0

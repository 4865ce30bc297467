"""CPU accounting, results and the report of bench/signing.

What one load run measured (LoadRun), the CPU share of every component
during it (CpuMeter), the check of stored rows against acknowledged
submissions (Ledger), and the results table and targets, printed and as
Markdown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from procstat import machine_busy_cpu, process_cpu, tree_cpu
from signing_env import Application, Database, say, wait_server_idle

# The targets the figures are compared with (see docs/performance.md).
TARGET_RATE = 1000.0
TARGET_FLOOR_FRACTION = 0.25
TARGET_P99_MS = 100.0


# --------------------------------------------------------------------------- CPU accounting


@dataclass
class CpuShare:
    """CPU time (in cores, i.e. CPU seconds per wall second) of each component during a run."""

    server: float = 0.0
    worker: float = 0.0
    database: float = 0.0
    loadgen: float = 0.0
    other: float = 0.0


class CpuMeter:
    """Measures the CPU share of every component between start() and stop()."""

    def __init__(self, app: Application, database: Database) -> None:
        self.app = app
        self.database = database

    def _components(self) -> tuple[float, float, float]:
        return (
            self.app.server_cpu(),
            process_cpu(self.app.worker.pid, with_reaped_children=True),
            tree_cpu(self.database.postmaster_pid),
        )

    def start(self) -> None:
        self.started = time.monotonic()
        self.machine = machine_busy_cpu()
        self.parts = self._components()

    def stop(self, loadgen_seconds: float) -> CpuShare:
        wall = time.monotonic() - self.started
        server, worker, database = (
            after - before for after, before in zip(self._components(), self.parts, strict=True)
        )
        machine = machine_busy_cpu() - self.machine
        other = machine - server - worker - database - loadgen_seconds
        return CpuShare(
            server=server / wall,
            worker=worker / wall,
            database=database / wall,
            loadgen=loadgen_seconds / wall,
            other=max(0.0, other) / wall,
        )


# --------------------------------------------------------------------------- results


@dataclass
class LoadRun:
    """One run of load against the server, by wrk or by the fixed-rate client."""

    label: str
    tool: str
    connections: int
    seconds: float
    expected_status: int
    sent: int = 0
    answered: int = 0
    acknowledged: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    failed: int = 0
    active_seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    cpu: CpuShare = field(default_factory=CpuShare)
    loadgen_cpu_seconds: float = 0.0
    rows_check: str = ""
    mail_backlog: int = 0
    mail_drain_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.acknowledged / self.active_seconds if self.active_seconds else 0.0

    @property
    def unanswered(self) -> int:
        """Requests sent that got neither an answer nor a socket error of their own."""
        return max(0, self.sent - self.answered - self.failed)

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values()) + self.socket_errors + self.unanswered


@dataclass
class DatabaseReport:
    database: str
    runs: list[LoadRun] = field(default_factory=list)
    floor: LoadRun | None = None
    fixed: LoadRun | None = None
    integrity_ok: bool = True
    rows: int = 0
    acknowledged: int = 0

    @property
    def signing_runs(self) -> list[LoadRun]:
        return [run for run in self.runs if run.tool == "wrk"]

    @property
    def best(self) -> LoadRun | None:
        return max(self.signing_runs, key=lambda run: run.rate, default=None)


class Ledger:
    """Keeps the running total of acknowledged submissions and checks it against the rows."""

    def __init__(self, database: Database, report: DatabaseReport) -> None:
        self.database = database
        self.report = report
        # The demo's own signers (load_demo makes some, without addresses) are there
        # before the first submission: the ledger counts only what is added.
        self.before = database.signature_rows()
        self.acknowledged = 0

    def check(self, app: Application, run: LoadRun | None, acknowledged: int) -> str:
        self.acknowledged += acknowledged
        waited = wait_server_idle(app)
        rows = self.database.signature_rows() - self.before
        self.report.rows, self.report.acknowledged = rows, self.acknowledged
        unanswered = run.unanswered if run else 0
        if rows == self.acknowledged:
            verdict = f"rows {rows} == acknowledged {self.acknowledged}: OK"
        else:
            self.report.integrity_ok = False
            verdict = (
                f"!!!!! MISMATCH: rows {rows} != acknowledged {self.acknowledged}"
                f" (difference {rows - self.acknowledged:+d}"
                f"{f'; {unanswered} requests were never answered' if unanswered else ''}) !!!!!"
            )
        say(f"  [{verdict}] (server idle after {waited:.1f} s)")
        if run is not None:
            run.rows_check = "OK" if rows == self.acknowledged else "MISMATCH"
        return verdict


def describe(run: LoadRun) -> str:
    what = "submissions/s" if run.expected_status == 302 else "requests/s"
    return (
        f"  => {run.rate:,.0f} {what}, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms,"
        f" max {run.max_ms:.1f} ms; non-{run.expected_status}: {sum(run.unexpected.values())}"
        f"{f' {run.unexpected}' if run.unexpected else ''}, socket errors: {run.socket_errors},"
        f" unanswered: {run.unanswered}\n"
        f"     CPU (cores): server {run.cpu.server:.2f}, worker {run.cpu.worker:.2f},"
        f" database {run.cpu.database:.2f}, load generator {run.cpu.loadgen:.2f},"
        f" other processes {run.cpu.other:.2f}"
    )


# --------------------------------------------------------------------------- report


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def target_lines(report: DatabaseReport) -> list[tuple[str, str, str]]:
    """(target, figure, met/MISSED) for one database."""
    lines = []
    best = report.best
    if best is not None:
        lines.append(
            (
                f">= {TARGET_RATE:,.0f} signatures/s sustained",
                f"best {best.rate:,.0f}/s at {best.connections} connections",
                verdict(best.rate >= TARGET_RATE),
            )
        )
        if report.floor is not None and report.floor.rate:
            fraction = best.rate / report.floor.rate
            lines.append(
                (
                    ">= 1/4 of the trivial view's rate",
                    f"{fraction:.2f} of {report.floor.rate:,.0f} req/s (/healthz)",
                    verdict(fraction >= TARGET_FLOOR_FRACTION),
                )
            )
    if report.fixed is not None:
        lines.append(
            (
                f"p99 < {TARGET_P99_MS:.0f} ms at {report.fixed.label.split()[1]}",
                f"p99 {report.fixed.p99_ms:.1f} ms (achieved {report.fixed.rate:,.0f}/s)",
                verdict(report.fixed.p99_ms < TARGET_P99_MS),
            )
        )
    runs = [*report.runs, *([report.fixed] if report.fixed else [])]
    errors = sum(run.errors for run in runs) + (report.floor.errors if report.floor else 0)
    lines.append(("zero errors", f"{errors} errors", verdict(errors == 0)))
    lines.append(
        (
            "zero lost/duplicated rows",
            f"rows {report.rows} vs acknowledged {report.acknowledged}",
            verdict(report.integrity_ok),
        )
    )
    return lines


TABLE_HEADER = (
    "db",
    "run",
    "conns",
    "rate/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "non-OK",
    "sock err",
    "CPU server",
    "worker",
    "db",
    "loadgen",
    "other",
    "rows",
)


def table_rows(reports: list[DatabaseReport]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for report in reports:
        runs = [*report.runs, *(r for r in (report.fixed, report.floor) if r is not None)]
        for run in runs:
            name = {"wrk": "sign (wrk)", "wrk-get": "/healthz (wrk)"}.get(run.tool, run.label)
            rows.append(
                (
                    report.database,
                    name,
                    str(run.connections),
                    f"{run.rate:,.0f}",
                    f"{run.p50_ms:.1f}",
                    f"{run.p99_ms:.1f}",
                    f"{run.max_ms:.0f}",
                    str(sum(run.unexpected.values()) + run.unanswered),
                    str(run.socket_errors),
                    f"{run.cpu.server:.2f}",
                    f"{run.cpu.worker:.2f}",
                    f"{run.cpu.database:.2f}",
                    f"{run.cpu.loadgen:.2f}",
                    f"{run.cpu.other:.2f}",
                    run.rows_check,
                )
            )
    return rows


def print_summary(reports: list[DatabaseReport]) -> None:
    rows = [TABLE_HEADER, *table_rows(reports)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
    say("\n=== Results (rate: 302 answers/s for signing, 200 answers/s for /healthz;")
    say("    CPU in cores, i.e. CPU seconds per second of the run, out of 2)")
    for row in rows:
        say("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    for report in reports:
        say(f"\n=== Targets, {report.database}")
        for target, figure, met in target_lines(report):
            say(f"  {target:<40} {figure:<48} {met}")


def write_markdown(
    path: Path, reports: list[DatabaseReport], command: str, source_note: str
) -> None:
    """The same figures as Markdown tables, for docs/performance.md."""
    out = [f"Command: `{command}` ({source_note})", ""]
    out += ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(reports)]
    for report in reports:
        out += ["", f"Targets, {report.database}:", "", "| target | figure | |", "|---|---|---|"]
        out += [f"| {t} | {f} | {m} |" for t, f, m in target_lines(report)]
    path.write_text("\n".join(out) + "\n")

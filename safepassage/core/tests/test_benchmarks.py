"""Every benchmark in bench/ still runs, end to end, at a size of seconds.

The figures in docs/performance.md are only as good as the scripts that
produce them, and those scripts write rows straight into the tables, so a
new column or setting can break them without any other test noticing (as
bench/routing once did). Nothing here is timed: each run is checked for
what it must always print, whatever the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from django.conf import settings

from conftest import ROOT, require

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="the benchmarks choose their own databases; the SQLite pass runs them",
    ),
    # Each runs a benchmark in fresh processes: tens of seconds, left out of scripts/test --quick.
    pytest.mark.slow,
]


def bench(name: str, *args: str) -> str:
    # The benchmarks build their own settings; nothing of the test run's database may leak in.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [str(ROOT / "bench" / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


@pytest.mark.live  # starts the application under gunicorn
def test_signing_benchmark_accounts_for_every_acknowledged_submission() -> None:
    require(shutil.which("wrk") is not None, "wrk (Debian's package) for the load")
    output = bench(
        "signing",
        *("--db", "sqlite", "--connections", "4", "--seconds", "1", "--warmup", "0"),
        *("--fixed-rate", "50", "--fixed-seconds", "1", "--grace", "1"),
    )
    checks = re.findall(r"\[rows (\d+) == acknowledged (\d+): OK\]", output)
    assert len(checks) >= 3, output[-4000:]
    assert int(checks[-1][0]) > 50
    assert re.search(r"zero lost/duplicated rows +rows \d+ vs acknowledged \d+ +met", output)
    assert re.search(r"zero errors +0 errors +met", output)


def test_signing_cpu_benchmark_measures_each_stage() -> None:
    output = bench("signing_cpu", "-n", "40", "--rounds", "1", "--sizes", "1,5")
    for stage in ("web (form POST", "writer, batches of   1", "writer, batches of   5", "mail ("):
        assert re.search(re.escape(stage) + r".*: \d+\.\d+ ms", output), (stage, output[-3000:])
    assert re.search(r"the ORM's bulk_create: \d+\.\d+ ms", output), output[-3000:]


def test_signing_page_benchmark_prints_cpu_per_get() -> None:
    output = bench("signing_page", "-n", "20", "--rounds", "1")
    assert "cookies set: none" in output, output[-3000:]
    assert re.search(r"CPU per GET: \d+\.\d+ ms", output), output[-3000:]
    assert re.search(r"two cores: [\d,]+", output), output[-3000:]


def test_routing_benchmark_routes_every_signer() -> None:
    output = bench("routing", "-n", "3000")
    assert "routed 3,000 signers in" in output, output[-3000:]
    placed = re.search(r"placed by: (\{.*\})", output)
    assert placed is not None, output[-3000:]
    assert sum(int(n) for n in re.findall(r": (\d+)", placed.group(1))) == 3000
    assert re.search(r"a sweep with nothing left to route: [\d.]+ s \(0 routed\)", output)
    assert re.search(r"a task's look at its window of confirmations: [\d.]+ s \(0", output)


def test_packets_benchmark_builds_every_packet() -> None:
    # A dozen missions: each packet costs a cover letter through WeasyPrint, so all 283 of the
    # bundled directory would take a minute on two cores and test nothing more.
    output = bench("packets", "-n", "2000", "--missions", "12", "--skip-baseline")
    assert "12 open missions of the target government" in output, output[-3000:]
    assert re.search(r"packets: 12 \(done\), 2,000 signatures", output), output[-3000:]


@pytest.mark.live  # starts the application under gunicorn
def test_public_reads_benchmark_answers_every_page() -> None:
    require(shutil.which("wrk") is not None, "wrk (Debian's package) for the load")
    output = bench("public_reads", "-n", "2000", "--seconds", "1", "--warmup", "0")
    pages = ["campaign page", "counter JSON", "directory map"]
    rows = re.findall(rf"^({'|'.join(pages)}) +[\d,]+ .* (\d+)$", output, re.M)
    assert [page for page, _ in rows] == pages, output
    assert all(errors == "0" for _, errors in rows), output[-3000:]


@pytest.mark.live  # starts the application under gunicorn, and nginx in front
def test_public_reads_benchmark_through_the_cache_hits_it() -> None:
    require(shutil.which("wrk") is not None, "wrk (Debian's package) for the load")
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    require(nginx is not None, "nginx (Debian's package; scripts/test installs it)")
    output = bench(
        "public_reads", "--through-cache", "--no-route", "-n", "2000", "--seconds", "1",
        "--warmup", "0",
    )  # fmt: skip
    assert output.count("cache: HIT; public, max-age=") == 2, output[-3000:]
    pages = ["counter JSON", "signing page"]
    rows = re.findall(rf"^({'|'.join(pages)}) +[\d,]+ .* (\d+)$", output, re.M)
    assert [page for page, _ in rows] == pages, output
    assert all(errors == "0" for _, errors in rows), output[-3000:]


@pytest.mark.live  # starts the application under gunicorn
def test_oracle_benchmark_reports_both_medians_their_difference_and_a_p_value() -> None:
    output = bench("oracle", "-n", "20", "--warmup", "5", "--rounds", "200")
    assert "samples: 20 new, 20 already signed, alternating" in output, output[-3000:]
    for label in ("median new:", "median already signed:"):
        assert re.search(re.escape(label) + r" +\d+\.\d+ ms", output), (label, output[-3000:])
    assert re.search(r"difference \(already signed - new\): [+-]\d+\.\d+ ms", output), output
    p_value = re.search(r"p-value \((?:Mann-Whitney U|permutation test.*)\): ([\d.e+-]+)", output)
    assert p_value is not None and 0 < float(p_value.group(1)) <= 1, output[-3000:]


def test_idle_worker_benchmark_reads_the_workers_cpu() -> None:
    output = bench("idle_worker", "--db", "sqlite", "--seconds", "2", "--settle", "2")
    assert re.search(r"sqlite +\d+\.\d{3} % of one core", output), output[-4000:]
    assert re.search(r"under 0\.2 % of one core per idle worker: (met|MISSED)", output)


def test_list_writers_benchmark_times_and_reads_back_the_projects_writer() -> None:
    # Only the project's writer: fpdf2 and ReportLab are optional (pip install -e '.[bench]').
    output = bench("list_writers", "-n", "300", "--writers", "listpdf")
    row = re.search(
        r"^listpdf +[\d,]+ +\d+\.\d +\d+\.\d +\d+\.\d .*  (\d)/(\d) found", output, re.M
    )
    assert row is not None and row.group(1) == row.group(2), output[-3000:]
    assert "Arabic in logical order" in output, output[-3000:]
    assert re.search(r"listpdf +1\.0 x listpdf here .* build about +\d+ s: MET", output), output

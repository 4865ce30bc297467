"""Public reads under load: the campaign page, the live counter and the directory map.

Phases:

1. set-up (not measured): a fresh SQLite database with the demo campaign, the
   bundled directory and N confirmed signatures (default 1,000,000) inserted
   directly (bench/routing_bench.py's populate), routed to missions, and the
   campaign's statistics refreshed as the worker does;
2. a production-like deployment (a copy of the code, DEBUG and demo mode off,
   gunicorn gthread with 2 workers as scripts/serve runs it, plus the worker;
   bench/signing_env.py) and, for each page, a short wrk warm-up and then a
   closed-loop wrk run (default 32 connections, 10 s).

Prints requests/s, latency p50/p99 and errors per page, and whether the
counter meets the brief's target of 3,000 requests/s.

With ``--through-cache`` the same server gets the shared cache of
deploy/nginx/safepassage-cache.conf in front (nginx, as docs/deployment.md
sets it up, one worker per core), and wrk measures the counter and the
signing page through it; the counter's target is then 10,000 requests/s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from routing_bench import populate, setup_django  # noqa: E402
from signing_env import (  # noqa: E402
    COLLECTSTATIC,
    HOST,
    BenchError,
    collected,
    free_port,
    machine_note,
    manage,
    migrated,
    production_env,
    running_application,
    say,
    snapshot_application,
    stop_processes,
    wait_http,
)
from signing_load import ensure_wrk  # noqa: E402

from safepassage.core.tests.kept import source_fingerprint  # noqa: E402

ROOT = HERE.parent
COUNTER_TARGET = 3000
CACHED_COUNTER_TARGET = 10_000

# wrk prints one JSON line with its counts and latency percentiles (microseconds).
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,'
    .. ' "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Result:
    label: str
    path: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    wrk: str, script: Path, url: str, connections: int, threads: int, seconds: int
) -> dict[str, int]:
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    data: dict[str, int] = json.loads(line.removeprefix("BENCH-RESULT "))
    return data


def check_page(url: str, expect: str) -> int:
    """Fetch a page once, as a visitor would, and check it shows what it should."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as error:
        raise BenchError(f"{url} answered {error.code}") from error
    if expect not in body:
        raise BenchError(f"{url} answered without {expect!r}")
    return len(body)


def nginx_config(directory: Path, upstream: str, listen: str) -> Path:
    """deploy/nginx/safepassage-cache.conf filled in, in a main configuration of its own."""
    temp = directory / "temp"
    for folder in (directory / "cache", temp):
        folder.mkdir(parents=True, exist_ok=True)
    site = (ROOT / "deploy/nginx/safepassage-cache.conf").read_text()
    site = site.replace("@CACHE_DIR@", str(directory / "cache"))
    site = site.replace("@UPSTREAM@", upstream).replace("@LISTEN@", listen)
    (directory / "site.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"  {name}_temp_path {temp}/{name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (directory / "nginx.conf").write_text(
        f"{user}worker_processes auto;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\ndaemon off;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n{temps}  include {directory}/site.conf;\n}}\n"
    )
    return directory / "nginx.conf"


@contextlib.contextmanager
def running_cache(app_port: int, work: Path) -> Iterator[str]:
    """nginx with the deployment's cache configuration in front of the server; its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise BenchError("nginx is missing (Debian package nginx; scripts/test installs it)")
    port = free_port()
    config = nginx_config(work / "nginx", f"{HOST}:{app_port}", f"{HOST}:{port}")
    checked = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True)
    if checked.returncode != 0:
        raise BenchError(f"nginx -t: {checked.stderr}")
    process = subprocess.Popen(
        [nginx, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_http(f"http://{HOST}:{port}/healthz", process, timeout=30)
        yield f"http://{HOST}:{port}"
    finally:
        stop_processes([process])


def cache_status(url: str) -> str:
    """The cache's verdict on a second fetch (HIT when it kept the first), and the lifetime."""
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            status = response.headers.get("X-Cache-Status", "?")
            lifetime = response.headers.get("Cache-Control", "")
            if response.headers.get("Set-Cookie"):
                raise BenchError(f"{url} set a cookie")
    return f"{status}; {lifetime}"


def set_up(signers: int, seed: int, database_url: str, route: bool) -> tuple[str, str, int]:
    """The database for the run; returns (campaign slug, petition slug, counted signatures)."""
    setup_django(ROOT / "var", database_url)  # the city index in var/ is shared, built once
    from django.core.management import call_command
    from django.db import connections

    migrated(ROOT, database_url, lambda: call_command("migrate", verbosity=0))
    started = time.perf_counter()
    petition_id = populate(signers, seed)
    say(f"  inserted in {time.perf_counter() - started:.1f} s")

    from safepassage.campaigns.models import Petition
    from safepassage.directory.routing import route_petition
    from safepassage.reports.stats import refresh_stats

    petition = Petition.objects.select_related("campaign").get(pk=petition_id)
    if route:
        started = time.perf_counter()
        report = route_petition(petition)
        say(f"  routed {report.routed:,} signers in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    stats = refresh_stats(petition.campaign)
    say(
        f"  refresh_stats: {stats.total:,} signatures, {stats.countries} countries,"
        f" {stats.missions_reached} missions in {time.perf_counter() - started:.2f} s"
    )
    connections.close_all()
    return petition.campaign.slug, petition.slug, stats.total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/public_reads", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--signers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("-c", "--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument(
        "--no-route", action="store_true", help="skip routing (no per-mission figures)"
    )
    parser.add_argument(
        "--through-cache",
        action="store_true",
        help="measure the counter and the signing page through deploy/nginx's cache",
    )
    options = parser.parse_args(argv)

    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="safepassage-public-reads-"))
    try:
        say(f"bench/public_reads -n {options.signers} -c {options.connections}")
        say(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine_note()}")
        database_url = f"sqlite:///{work / 'bench.sqlite3'}"
        say("set-up (not measured) ...")
        campaign_slug, petition_slug, counted = set_up(
            options.signers, options.seed, database_url, not options.no_route
        )
        app_dir = snapshot_application(work)
        data_dir = work / "data"
        data_dir.mkdir()
        port = free_port()
        env = production_env(data_dir, port, database_url)
        collected(app_dir, data_dir / "static", lambda: manage(app_dir, env, *COLLECTSTATIC))
        script = work / "report.lua"
        script.write_text(LUA)
        pages = [
            ("campaign page", f"/c/{campaign_slug}/", 'id="by-country"'),
            ("counter JSON", f"/p/{petition_slug}/count.json", f'"confirmed": {counted}'),
            ("directory map", "/missions/CN/map.svg", "wm-c"),
        ]
        if options.through_cache:
            pages = [
                ("counter JSON", f"/p/{petition_slug}/count.json", f'"confirmed": {counted}'),
                ("signing page", f"/p/{petition_slug}/", 'name="form_token"'),
            ]
        results = []
        with contextlib.ExitStack() as stack:
            app = stack.enter_context(
                running_application(app_dir, env, port, 2, options.threads, work)
            )
            say(f"server: {' '.join(app.command)} (code {source_fingerprint(app_dir)})")
            base_url = app.base_url
            if options.through_cache:
                base_url = stack.enter_context(running_cache(port, work))
                say(f"through the cache: nginx (deploy/nginx/safepassage-cache.conf) at {base_url}")
            for label, path, expect in pages:
                size = check_page(base_url + path, expect)
                say(f"\n  {label}: GET {path} ({size:,} bytes)")
                if options.through_cache:
                    say(f"    cache: {cache_status(base_url + path)}")
                if options.warmup:
                    run_wrk(wrk, script, base_url + path, 8, 1, options.warmup)
                data = run_wrk(
                    wrk,
                    script,
                    base_url + path,
                    options.connections,
                    options.wrk_threads,
                    options.seconds,
                )
                errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
                result = Result(
                    label,
                    path,
                    data["requests"],
                    data["duration_us"] / 1e6,
                    data["p50_us"] / 1000,
                    data["p99_us"] / 1000,
                    errors,
                )
                results.append(result)
                say(
                    f"    {result.rate:,.0f} requests/s, p50 {result.p50_ms:.1f} ms,"
                    f" p99 {result.p99_ms:.1f} ms, errors {result.errors}"
                )
    except BenchError as error:
        say(f"\nbench/public_reads could not run: {error}")
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)

    say("")
    say(f"{'page':<16}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for r in results:
        say(f"{r.label:<16}{r.rate:>12,.0f}{r.p50_ms:>10.1f}{r.p99_ms:>10.1f}{r.errors:>8}")
    counter = next(r for r in results if r.label == "counter JSON")
    target = CACHED_COUNTER_TARGET if options.through_cache else COUNTER_TARGET
    verdict = "MET" if counter.rate >= target and counter.errors == 0 else "MISSED"
    where = " through the cache" if options.through_cache else ""
    say(f"target: counter JSON{where} at least {target:,} requests/s -> {verdict}")
    return 0

"""The signing page GET /p/<slug>/ rendered uncached: CPU per GET, and requests/s when served.

1. In one process (robust on a shared machine): a fresh SQLite database with
   the demo petition, then N GETs of the signing page through Django's whole
   middleware stack (test client, production settings: DEBUG off, the cached
   template loader), timed with ``time.process_time``; each figure is the
   median of the rounds. ``--code DIR`` measures another checkout of the
   project (e.g. a git worktree of an older commit) with the same script, so
   that old and new are measured side by side in one session.
2. With ``--served SECONDS``: the same page served as production runs it
   (gunicorn gthread, 2 workers; bench/signing_env.py) and measured with wrk.

No shared cache in front and no cookie: every GET renders the page. The
parts of the page that are the same for every visitor of a petition and
language are cached in the process (signatures/fragments.py), as in
production; the first GET of each round fills them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def say(text: str = "") -> None:
    print(text, flush=True)


def setup(code: Path, data_dir: Path) -> None:
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "safepassage.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SIGNER_HASH_KEY": secrets.token_urlsafe(40),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'bench.sqlite3'}",
            "SAFEPASSAGE_DEBUG": "0",
        }
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(code))
    import django

    django.setup()
    from django.core.management import call_command
    from signing_env import collected, migrated

    migrated(code, os.environ["DATABASE_URL"], lambda: call_command("migrate", verbosity=0))
    collected(
        code,
        data_dir / "static",
        lambda: call_command("collectstatic", interactive=False, verbosity=0),
    )


def in_process(requests: int, rounds: int, language: str, profile: bool) -> tuple[float, float]:
    """CPU and wall ms per GET (medians of the rounds)."""
    from django.test import Client

    from safepassage.core.demo import load_demo

    petition = load_demo(2026)
    path = f"/p/{petition.slug}/?lang={language}"
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    size = len(response.content)
    say(f"  GET {path}: {size:,} bytes, cookies set: {sorted(response.cookies) or 'none'}")
    for _ in range(50):  # warm up: imports, template loader, per-process caches
        client.get(path)
    cpu: list[float] = []
    wall: list[float] = []
    profiler = cProfile.Profile() if profile else None
    for _ in range(rounds):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(requests):
            client.get(path)
        if profiler:
            profiler.disable()
        cpu.append(1000 * (time.process_time() - started_cpu) / requests)
        wall.append(1000 * (time.perf_counter() - started_wall) / requests)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(120)
    return statistics.median(cpu), statistics.median(wall)


def served(code: Path, seconds: int, connections: int) -> float:
    """Requests/s of the signing page under wrk, served by gunicorn as production runs it."""
    sys.path.insert(0, str(HERE))
    from signing_env import (
        COLLECTSTATIC,
        collected,
        free_port,
        manage,
        migrated,
        production_env,
        running_application,
    )
    from signing_load import ensure_wrk

    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="safepassage-signing-page-"))
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        database_url = f"sqlite:///{work / 'served.sqlite3'}"
        port = free_port()
        env = production_env(data_dir, port, database_url)
        migrated(code, database_url, lambda: manage(code, env, "migrate", "-v", "0"))
        collected(code, data_dir / "static", lambda: manage(code, env, *COLLECTSTATIC))
        demo = "from safepassage.core.demo import load_demo; print(load_demo(2026).slug)"
        slug = manage(code, env, "shell", "-c", demo).strip().splitlines()[-1]
        with running_application(code, env, port, 2, 8, work) as app:
            url = f"{app.base_url}/p/{slug}/"
            import subprocess

            subprocess.run([wrk, "-t1", "-c8", "-d2s", url], check=True, capture_output=True)
            out = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
        non_2xx = [line for line in out.splitlines() if "Non-2xx" in line or "errors" in line]
        if non_2xx:
            say(f"  wrk: {'; '.join(non_2xx)}")
        return float(line.split()[1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/signing_page", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=2000, help="GETs per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--language", default="en", help="?lang= of the page")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the GETs")
    parser.add_argument(
        "--served", type=int, default=0, metavar="SECONDS", help="also measure with wrk"
    )
    parser.add_argument("-c", "--connections", type=int, default=16, help="wrk -c")
    options = parser.parse_args(argv)
    code = options.code.resolve()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    say(f"bench/signing_page -n {options.requests} --rounds {options.rounds} --code {code}")
    say(f"{os.cpu_count()} CPUs; load average before the run: {load}")
    work = Path(tempfile.mkdtemp(prefix="safepassage-signing-page-"))
    try:
        setup(code, work)
        cpu_ms, wall_ms = in_process(
            options.requests, options.rounds, options.language, options.profile
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"  CPU per GET: {cpu_ms:.2f} ms (wall {wall_ms:.2f} ms)")
    say(f"  one core's ceiling: {1000 / cpu_ms:,.0f} GETs/s; two cores: {2000 / cpu_ms:,.0f}")
    if options.served:
        rate = served(code, options.served, options.connections)
        server = f"gunicorn 2 workers x 8 threads, wrk -c{options.connections}"
        say(f"  served ({server}): {rate:,.0f} requests/s")
    return 0

"""Route N synthetic signers (default 1,000,000) to the bundled PRC missions.

The signers come from a realistic mix: cities drawn by population from the
GeoNames data in the countries where the campaign's diaspora lives, some
typed in their native script, some misspelt or unknown, each with the
subdivision the signing form would have stored. Phases:

1. set-up (not timed as routing): a fresh database, the bundled directory,
   the city index, and N confirmed signatures inserted directly;
2. routing, in a fresh process so its peak memory is its own: geocode every
   signer and assign a mission (``route_petition``), reading and writing the
   database in batches as the worker does.

Prints the time, signers per second, the placement and rule counts and the
routing process's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from procstat import peak_rss_mb
from signing_env import migrated

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

# Where signers live, with weights (diaspora and supporter countries of the seed campaign).
COUNTRY_WEIGHTS = {
    "KR": 30,
    "US": 25,
    "JP": 8,
    "CA": 6,
    "GB": 5,
    "DE": 4,
    "AU": 4,
    "FR": 2,
    "NL": 1,
    "BR": 1,
    "MX": 1,
    "CL": 1,
    "AR": 1,
    "CN": 1,
    "RU": 1,
    "TH": 1,
    "MN": 1,
    "IN": 1,
    "BE": 1,
    "SE": 1,
    "NO": 1,
    "IT": 1,
    "ES": 1,
    "PL": 1,
    "NZ": 1,
    "PR": 0.2,
    "SZ": 0.1,
}
NATIVE_SHARE = 0.05
UNKNOWN_SHARE = 0.03


def say(text: str = "") -> None:
    print(text, flush=True)


def setup_django(data_dir: Path, database_url: str) -> None:
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "safepassage.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SIGNER_HASH_KEY": secrets.token_urlsafe(40),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def places(n_places: int, seed: int) -> list[tuple[str, str, str, float]]:
    """(country, region, city as typed, weight) for a realistic mix of places."""
    import sqlite3

    from safepassage.lib.geo import cityindex

    rng = random.Random(seed)
    index = sqlite3.connect(f"file:{cityindex.ensure_index()}?mode=ro", uri=True)
    mix: list[tuple[str, str, str, float]] = []
    total_weight = sum(COUNTRY_WEIGHTS.values())
    for country, weight in COUNTRY_WEIGHTS.items():
        rows = index.execute(
            "SELECT id, name, region, population FROM cities WHERE country = ? "
            "ORDER BY population DESC LIMIT ?",
            (country, max(5, int(n_places * weight / total_weight))),
        ).fetchall()
        population = sum(max(r[3], 1) for r in rows) or 1
        for city_id, name, region, people in rows:
            share = weight / total_weight * max(people, 1) / population
            typed = name
            if rng.random() < NATIVE_SHARE:
                native = index.execute(
                    "SELECT key FROM names WHERE city_id = ? AND country = ?", (city_id, country)
                ).fetchall()
                non_latin = [k for (k,) in native if not k.isascii()]
                if non_latin:
                    typed = rng.choice(non_latin)
            mix.append((country, region, typed, share * (1 - UNKNOWN_SHARE)))
            if rng.random() < UNKNOWN_SHARE * 3:
                # A misspelling or a place the index does not know.
                garbled = "".join(rng.sample(name, len(name))) + "ville"
                mix.append((country, region, garbled, share * UNKNOWN_SHARE * 3))
    index.close()
    return mix


def populate(n: int, seed: int) -> int:
    """Insert n confirmed signatures directly; returns the petition's id."""
    from django.db import transaction
    from django.utils import timezone

    from safepassage.core.demo import load_demo
    from safepassage.directory import bundled
    from safepassage.lib.bulkinsert import insert
    from safepassage.signatures.models import Signature

    petition = load_demo(2026)
    for report in bundled.import_prc():
        say(f"  directory: {report.summary()}")
    mix = places(20_000, seed)
    rng = random.Random(seed)
    weights = [w for *_, w in mix]
    chosen = rng.choices(mix, weights=weights, k=n)
    say(f"  {len(mix)} distinct places; inserting {n:,} confirmed signatures")
    now = timezone.now()
    batch: list[dict[str, Any]] = []
    for i, (country, region, city, _) in enumerate(chosen):
        # What the signing form stores; every other column gets the model's default,
        # so the rows stay valid when the model gains a column.
        batch.append(
            {
                "uuid": uuid.UUID(int=i + 1),
                "petition_id": petition.pk,
                "status": "confirmed",
                "first_name": "Signer",
                "last_name": f"No. {i}",
                "city": city,
                "region": region,
                "country": country,
                "publish_name": True,
                "contact": "count",
                "email_hash": f"{i:064x}",
                "language": "en",
                "consent_version": "1",
                "consent_hash": "x" * 64,
                "created_at": now,
                "confirmed_at": now,
            }
        )
        if len(batch) == 20_000 or i == n - 1:
            with transaction.atomic():
                insert(Signature, batch)
            batch = []
    return petition.pk


def route(petition_id: int) -> dict[str, Any]:
    """The timed phase, in its own process."""
    from django.utils import timezone

    from safepassage.campaigns.models import Petition
    from safepassage.directory.routing import route_pending, route_petition
    from safepassage.lib.geo import cityindex

    cityindex.ensure_index()
    petition = Petition.objects.select_related("campaign").get(pk=petition_id)
    started = time.perf_counter()
    report = route_petition(petition)
    seconds = time.perf_counter() - started
    # What the worker's housekeeping then pays every minute: a sweep that finds
    # every signature routed.
    started = time.perf_counter()
    left = route_pending()
    sweep = time.perf_counter() - started
    # And what the task after confirmations pays (tasks.schedule_routing): it looks
    # only at the signatures confirmed in its window, here none.
    started = time.perf_counter()
    recent = route_petition(petition, confirmed_since=timezone.now()).routed
    task_sweep = time.perf_counter() - started
    return {
        "task_sweep_seconds": task_sweep,
        "task_sweep_routed": recent,
        "idle_sweep_seconds": sweep,
        "idle_sweep_routed": left,
        "routed": report.routed,
        "changed": report.changed,
        "seconds": seconds,
        "placements": dict(report.placements),
        "steps": dict(report.steps),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/routing", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--signers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql uses BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("--phase", choices=["all", "route"], default="all", help=argparse.SUPPRESS)
    parser.add_argument("--petition", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.phase == "route":
        setup_django(Path(options.data_dir), options.database_url)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            figures = profiler.runcall(route, options.petition)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            print(json.dumps(figures))
            return 0
        print(json.dumps(route(options.petition)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="safepassage-routing-"))
    pg_admin = ""
    try:
        if options.database == "sqlite":
            url = f"sqlite:///{work / 'bench.sqlite3'}"
        else:
            import psycopg

            pg_admin = os.environ.get(
                "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
            )
            # One database per run, so that runs side by side do not meet.
            pg_name = f"safepassage_routing_bench_{os.getpid()}"
            with psycopg.connect(pg_admin, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {pg_name}")
            url = pg_admin.rsplit("/", 1)[0] + "/" + pg_name
        say(f"bench/routing -n {options.signers} --database {options.database}")
        say(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs")
        # The city index is shared with the project's var/ so it is built once.
        data_dir = ROOT / "var"
        setup_django(data_dir, url)
        from django.core.management import call_command

        migrated(ROOT, url, lambda: call_command("migrate", verbosity=0))
        started = time.perf_counter()
        petition_id = populate(options.signers, options.seed)
        say(f"  set-up took {time.perf_counter() - started:.1f} s (not part of the figure)")
        say("routing (a fresh process) ...")
        result = subprocess.run(
            [
                str(PYTHON),
                str(Path(__file__).resolve().parent / "routing"),
                "--phase",
                "route",
                "--petition",
                str(petition_id),
                "--data-dir",
                str(data_dir),
                "--database-url",
                url,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode or os.environ.get("BENCH_PROFILE"):
            say(result.stderr)
        if result.returncode:
            return 2
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if pg_admin:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(pg_admin, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {pg_name}")
    rate = figures["routed"] / figures["seconds"]
    say("")
    seconds = figures["seconds"]
    say(f"routed {figures['routed']:,} signers in {seconds:.2f} s = {rate:,.0f} signers/s")
    say(f"placed by: {figures['placements']}")
    say(f"rule used: {figures['steps']}")
    say(f"peak memory of the routing process: {figures['peak_rss_mb']:.0f} MB")
    say(
        f"then a sweep with nothing left to route: {figures['idle_sweep_seconds']:.2f} s"
        f" ({figures['idle_sweep_routed']} routed)"
    )
    say(
        f"and a task's look at its window of confirmations: {figures['task_sweep_seconds']:.3f} s"
        f" ({figures['task_sweep_routed']} routed)"
    )
    budget = 20 * figures["routed"] / 1_000_000
    say(f"target: under 20 s per 1,000,000 -> {'MET' if seconds < budget else 'MISSED'}")
    return 0

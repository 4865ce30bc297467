"""Build every delivery packet of a campaign with N synthetic signers (default 1,000,000).

Phases:

1. set-up (not timed): a fresh SQLite database, the demo campaign with the
   bundled PRC directory (topped up with synthetic consulates to ``--missions``
   posts), the demo's approved sample letter as cover letter, and N confirmed signatures routed to
   the missions with a skewed share (a few missions get most signers, as in
   a real campaign), names in many scripts, about one in ten not to be named
   and a few withheld by moderation;
2. the build, timed: ``start_build`` fixes the snapshot and queues one task
   per mission; ``--workers`` real worker processes (``manage.py worker``, as
   production runs them) build the packets and the last one writes the ZIP.
   The figure is the wall time from the start of the build until the ZIP is
   stored; memory is the peak resident size of each worker process;
3. the baseline: the naive way, one HTML table of ``--baseline-rows`` rows
   (default 20,000) through WeasyPrint, in its own process.

Prints rows/s, pages/s, wall time and peak memory for both.
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

# Names as signers type them; most Latin, some in the scripts of the diaspora.
FIRST = {
    "latin": ["Anna", "James", "María", "Łukasz", "Søren", "Chloé", "Jürgen", "Ngozi", "Tomás"],
    "hangul": ["민준", "서연", "지훈", "하은", "도윤", "수아"],
    "han": ["伟", "芳", "秀英", "明", "静"],
    "kana": ["さくら", "ゆうと", "はると", "ひなた"],
    "cyrillic": ["Иван", "Ольга", "Дмитрий", "Наталья"],
    "arabic": ["محمد", "فاطمة", "يوسف"],
}
LAST = {
    "latin": ["Smith", "García", "Nowak", "Müller", "O'Brien", "Nguyen", "Dubois", "Okafor"],
    "hangul": ["김", "이", "박", "최", "정"],
    "han": ["王", "李", "张", "刘"],
    "kana": ["さとう", "すずき", "たかはし"],
    "cyrillic": ["Иванов", "Смирнова", "Кузнецов"],
    "arabic": ["الحسن", "خليل", "نصر"],
}
SCRIPT_WEIGHTS = {"latin": 88, "hangul": 6, "han": 2, "kana": 2, "cyrillic": 1.5, "arabic": 0.5}
UNNAMED_SHARE = 0.10
WITHHELD_SHARE = 0.002


def say(text: str = "") -> None:
    print(text, flush=True)


def bench_env(data_dir: Path, database_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "safepassage.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SIGNER_HASH_KEY": secrets.token_urlsafe(40),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "DEBUG": "false",
        }
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def missions_to(n_missions: int) -> list[int]:
    """The open missions of the demo's target government, topped up to ``n_missions``.

    Fewer than the bundled directory's (a smoke run) closes the others, so that
    the build makes a packet for each of the ``n_missions`` only.
    """
    from safepassage.directory.models import Mission

    open_missions = list(
        Mission.objects.filter(sending_state="CN", status=Mission.Status.OPEN).order_by("key")
    )
    surplus = [mission.pk for mission in open_missions[n_missions:]]
    Mission.objects.filter(pk__in=surplus).update(status=Mission.Status.CLOSED)
    for index in range(len(open_missions), n_missions):
        Mission.objects.create(
            key=f"bench-consulate-{index:03d}",
            sending_state="CN",
            kind=Mission.Kind.CONSULATE_GENERAL,
            name=f"Consulate-General of the PRC (synthetic {index:03d})",
            host_country="US",
            city=f"Bench City {index:03d}",
            postal_address=f"{index} Synthetic Avenue",
            source="bench/packets: synthetic mission",
        )
    return list(
        Mission.objects.filter(sending_state="CN", status=Mission.Status.OPEN)
        .order_by("key")
        .values_list("pk", flat=True)
    )


def populate(n: int, n_missions: int, seed: int) -> tuple[int, int]:
    """Insert n confirmed, routed signatures; returns (petition id, missions)."""
    from django.db import transaction
    from django.utils import timezone

    from safepassage.core.demo import load_demo
    from safepassage.directory import bundled

    petition = load_demo(2026)
    for report in bundled.import_prc():
        say(f"  directory: {report.summary()}")
    missions = missions_to(n_missions)
    rng = random.Random(seed)
    # A skewed share: mission k gets weight 1/(k+1) (Zipf), shuffled so the
    # big missions are not simply the first keys.
    weights = [1 / (k + 1) for k in range(len(missions))]
    rng.shuffle(weights)
    scripts = list(SCRIPT_WEIGHTS)
    script_weights = list(SCRIPT_WEIGHTS.values())
    say(f"  {len(missions)} missions; inserting {n:,} confirmed signatures")
    has_withheld = any(
        f.name == "name_withheld" for f in petition.signatures.model._meta.get_fields()
    )
    now = timezone.now()
    places = [
        ("US", "US-CA", "Los Angeles"),
        ("US", "US-NY", "New York"),
        ("KR", "KR-11", "서울"),
        ("JP", "JP-13", "Tokyo"),
        ("DE", "DE-BE", "Berlin"),
        ("GB", "GB-ENG", "London"),
        ("FR", "FR-IDF", "Paris"),
        ("AU", "AU-NSW", "Sydney"),
        ("BR", "BR-SP", "São Paulo"),
    ]
    batch: list[dict[str, Any]] = []
    mission_of = rng.choices(missions, weights=weights, k=n)
    # Through the application's own bulk insert: every column not named here
    # gets its model default, so the bench keeps working as the table grows.
    from safepassage.directory.models import SignatureRoute
    from safepassage.lib.bulkinsert import insert
    from safepassage.signatures.models import Signature

    def write(rows: list[dict[str, Any]]) -> None:
        """The signatures, and their routes as the routing sweep would leave them."""
        with transaction.atomic():
            # (SQLite gives the uuid back as hex text, PostgreSQL as a UUID.)
            ids = {
                uuid.UUID(str(u)): pk for u, pk in insert(Signature, rows, returning=("uuid", "id"))
            }
            SignatureRoute.objects.bulk_create(
                SignatureRoute(signature_id=ids[row["uuid"]], mission_id=mission, placement="city")
                for row, mission in zip(rows, routes, strict=True)
            )
        rows.clear()
        routes.clear()

    routes: list[int] = []

    for i in range(n):
        script = rng.choices(scripts, weights=script_weights)[0]
        country, region, city = places[i % len(places)]
        row: dict[str, Any] = {
            "uuid": uuid.UUID(int=i + 1),
            "petition_id": petition.pk,
            "status": "confirmed",
            "first_name": rng.choice(FIRST[script]),
            "last_name": f"{rng.choice(LAST[script])}{'' if script != 'latin' else f'-{i % 9973}'}",
            "city": city,
            "region": region,
            "country": country,
            "publish_name": rng.random() >= UNNAMED_SHARE,
            "contact": "count",
            "email_hash": f"{i:064x}",
            "language": "en",
            "consent_version": "1",
            "consent_hash": "x" * 64,
            "created_at": now,
            "confirmed_at": now,
        }
        if has_withheld:
            row["name_withheld"] = rng.random() < WITHHELD_SHARE
        batch.append(row)
        routes.append(mission_of[i])
        if len(batch) == 20_000:
            write(batch)
    if batch:
        write(batch)
    return petition.pk, len(missions)


def build(petition_id: int, env: dict[str, str], workers: int, log_dir: Path) -> dict[str, Any]:
    """The timed phase: start the build, let real worker processes do it."""
    from safepassage.campaigns.models import Petition
    from safepassage.packets.models import Packet, PacketBuild
    from safepassage.packets.services import start_build

    petition = Petition.objects.select_related("campaign").get(pk=petition_id)
    procs = []
    for k in range(workers):
        log = open(log_dir / f"worker-{k}.log", "w")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [str(PYTHON), "manage.py", "worker", "-v", "0"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    time.sleep(3)  # let the workers import Django before the clock starts
    peaks = {p.pid: 0.0 for p in procs}
    try:
        started = time.perf_counter()
        the_build = start_build(
            petition.campaign, petition, scope=PacketBuild.Scope.MISSION, user=None
        )
        while True:
            time.sleep(0.2)
            for p in procs:
                peaks[p.pid] = max(peaks[p.pid], peak_rss_mb(p.pid))
            the_build.refresh_from_db()
            if the_build.status in (PacketBuild.Status.DONE, PacketBuild.Status.FAILED):
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker died; see " + str(log_dir))
        seconds = time.perf_counter() - started
        for p in procs:
            peaks[p.pid] = max(peaks[p.pid], peak_rss_mb(p.pid))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    packets = Packet.objects.filter(build=the_build)
    failed = list(packets.filter(status=Packet.Status.FAILED).values_list("mission__key", "error"))
    totals = [(p.named_count, p.total_count, p.pages) for p in packets]
    zip_size = the_build.zip_file.size if the_build.zip_file else 0
    return {
        "status": the_build.status,
        "seconds": seconds,
        "packets": len(totals),
        "failed": failed[:5],
        "rows": sum(t[0] for t in totals),
        "signatures": sum(t[1] for t in totals),
        "pages": sum(t[2] for t in totals),
        "zip_mb": zip_size / 1e6,
        "peak_rss_mb": sorted(peaks.values()),
    }


def baseline(rows: int, seed: int) -> dict[str, Any]:
    """The naive way: one HTML table through WeasyPrint. Run in its own process."""
    from html import escape

    import weasyprint
    from pypdf import PdfReader

    rng = random.Random(seed)
    scripts = list(SCRIPT_WEIGHTS)
    weights = list(SCRIPT_WEIGHTS.values())
    body = []
    for i in range(rows):
        script = rng.choices(scripts, weights=weights)[0]
        name = f"{rng.choice(FIRST[script])} {rng.choice(LAST[script])}"
        body.append(
            f"<tr><td>{i + 1}</td><td>{escape(name)}</td><td>Los Angeles</td>"
            "<td>California</td><td>United States</td></tr>"
        )
    html = (
        "<html><head><style>@page{size:A4;margin:15mm}"
        "body{font:9pt 'Noto Sans','Noto Sans CJK KR','Noto Sans Arabic',sans-serif}"
        "table{width:100%;border-collapse:collapse}td,th{padding:1pt 3pt;text-align:left}"
        "</style></head><body><h1>Signatures</h1><table><thead><tr><th>No.</th><th>Name</th>"
        "<th>City</th><th>Region</th><th>Country</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></body></html>"
    )
    started = time.perf_counter()
    pdf = weasyprint.HTML(string=html).write_pdf()
    seconds = time.perf_counter() - started
    import io

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {
        "rows": rows,
        "seconds": seconds,
        "pages": pages,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/packets", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--signers", type=int, default=1_000_000)
    parser.add_argument(
        "--missions",
        type=int,
        default=280,
        help="open missions: the bundled ones, topped up or cut",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql uses BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)"
        " and creates a database of its own there for the run",
    )
    parser.add_argument(
        "--phase", choices=["all", "baseline"], default="all", help=argparse.SUPPRESS
    )
    options = parser.parse_args(argv)

    if options.phase == "baseline":
        print(json.dumps(baseline(options.baseline_rows, options.seed)))
        return 0

    say(
        f"bench/packets -n {options.signers} --missions {options.missions} "
        f"--workers {options.workers} --database {options.database}"
    )
    say(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs")
    work = Path(tempfile.mkdtemp(prefix="safepassage-packets-"))
    pg_admin = pg_name = ""
    try:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
        if options.database == "postgresql":
            import psycopg

            pg_admin = os.environ.get(
                "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
            )
            # One database per run, so that runs side by side do not meet.
            pg_name = f"safepassage_packets_bench_{os.getpid()}"
            with psycopg.connect(pg_admin, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {pg_name}")
            url = pg_admin.rsplit("/", 1)[0] + "/" + pg_name
        env = bench_env(work, url)
        setup_django(env)
        from django.core.management import call_command

        migrated(ROOT, url, lambda: call_command("migrate", verbosity=0))
        started = time.perf_counter()
        petition_id, n_missions = populate(options.signers, options.missions, options.seed)
        if options.database == "postgresql":
            from django.db import connection

            # A table that grew to a million rows over days has autovacuum's
            # statistics; this one was filled a moment ago.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        say(f"  {n_missions} open missions of the target government")
        say(f"  set-up took {time.perf_counter() - started:.1f} s (not part of the figure)")
        say(f"building all packets with {options.workers} worker processes ...")
        figures = build(petition_id, env, options.workers, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if pg_name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(pg_admin, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")

    say("")
    seconds = figures["seconds"]
    say(
        f"packets: {figures['packets']} ({figures['status']}), "
        f"{figures['signatures']:,} signatures, {figures['rows']:,} named rows, "
        f"{figures['pages']:,} pages, ZIP {figures['zip_mb']:.0f} MB"
    )
    if figures["failed"]:
        say(f"FAILED packets (first 5): {figures['failed']}")
    say(
        f"wall time {seconds:.1f} s = {figures['rows'] / seconds:,.0f} rows/s, "
        f"{figures['pages'] / seconds:,.0f} pages/s"
    )
    say(
        "peak memory per worker process: "
        + ", ".join(f"{m:.0f} MB" for m in figures["peak_rss_mb"])
    )
    met = seconds < 60 * options.signers / 1_000_000 and max(figures["peak_rss_mb"]) < 500
    say(
        "target: all packets under 60 s per 1,000,000, peak < 500 MB -> "
        + ("MET" if met else "MISSED")
    )

    if not options.skip_baseline:
        say("")
        say(f"baseline: {options.baseline_rows:,} rows as one HTML table through WeasyPrint ...")
        result = subprocess.run(
            [
                str(PYTHON),
                str(Path(__file__).resolve().parent / "packets"),
                "--phase",
                "baseline",
                "--baseline-rows",
                str(options.baseline_rows),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode:
            say(result.stderr[-3000:])
            return 2
        base = json.loads(result.stdout.strip().splitlines()[-1])
        say(
            f"baseline: {base['rows']:,} rows, {base['pages']:,} pages in {base['seconds']:.1f} s "
            f"= {base['rows'] / base['seconds']:,.0f} rows/s, "
            f"{base['pages'] / base['seconds']:,.1f} pages/s, peak {base['peak_rss_mb']:.0f} MB"
        )
        say(
            "at that rate 1,000,000 rows would take "
            f"{1_000_000 / (base['rows'] / base['seconds']) / 60:,.0f} min"
        )
    return 0 if figures["status"] == "done" else 1

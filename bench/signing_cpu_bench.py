"""CPU per signature of each stage of the signing path, measured in one process.

bench/signing measures the whole server over HTTP, and its rates move with
whatever else the (virtual) machine is doing: on a noisy day the same code
gives figures 20 % apart. This benchmark instead counts the CPU time of this
process (``time.process_time``) for each stage, one after the other, with
the same synthetic signers:

1. web: the signing form POSTed through Django's whole middleware stack
   (test client, CSRF checked), up to the hand-over to the writer, which is
   replaced by a list here;
2. writer: ``services.write_batch`` in its own transaction, in batches of
   the sizes given (the signing writer's batches are 2-6 signatures under
   load), and beside it the same batches with the ORM's ``bulk_create``
   instead of ``lib/bulkinsert.py``, for comparison;
3. mail: the confirmation mails, claimed from the outbox and sent by
   ``outbox.sender.send_due`` to Django's in-memory mail backend (no SMTP
   dialogue), each outcome recorded on its own.

HTTP parsing, gunicorn's threads and the hand-over over the writer's socket
are not included; nor, on PostgreSQL, the server's own CPU. Each figure is
the median of three rounds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from routing_bench import setup_django
from signing_env import ROOT, migrated


def say(text: str = "") -> None:
    print(text, flush=True)


def median_ms(rounds: Sequence[tuple[float, int]]) -> float:
    return statistics.median(1000 * seconds / count for seconds, count in rounds)


def timed(work: Callable[[], int]) -> tuple[float, int]:
    start = time.process_time()
    count = work()
    return time.process_time() - start, count


def web_stage(signers: int, rounds: int) -> tuple[float, list[Any]]:
    """POST the form `signers` times per round; returns ms per POST and the pending signatures."""
    from django.test import Client

    from safepassage.campaigns.models import Petition
    from safepassage.signatures import writer

    petition = Petition.objects.get()
    path = f"/p/{petition.slug}/"
    collected: list[Any] = []
    writer.submit = collected.append  # type: ignore[assignment] # the writer's part is stage 2
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(path).content.decode()
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    if match is None:
        raise SystemExit(f"GET {path}: no form_token field in the page")
    token = match.group(1)
    results = []
    serial = 0
    for _ in range(rounds):

        def post_all() -> int:
            nonlocal serial
            for _ in range(signers):
                serial += 1
                # Urlencoded, as browsers and bench/signing send it (the test
                # client's default, multipart, costs more to parse).
                body = urlencode(
                    {
                        "form_token": token,
                        "first_name": "Ji-woo",
                        "last_name": "Example",
                        "city": "Seoul",
                        "region": "KR-11",
                        "country": "KR",
                        "email": f"cpu-bench-{serial}@example.org",
                        "publish_name": "yes",
                        "contact": "count",
                    }
                )
                response = client.post(path, body, "application/x-www-form-urlencoded")
                assert response.status_code == 302, response.status_code
            return signers

        results.append(timed(post_all))
    return median_ms(results), collected


def writer_stage(
    pending: list[Any], size: int, rounds: int, write: Callable[[list[Any]], object]
) -> float:
    from django.db import transaction

    per_round = len(pending) // rounds
    results = []
    for number in range(rounds):
        part = pending[number * per_round : (number + 1) * per_round]

        def write_all(part: list[Any] = part) -> int:
            for start in range(0, len(part), size):
                with transaction.atomic():
                    write(part[start : start + size])
            return len(part)

        results.append(timed(write_all))
    return median_ms(results)


def orm_write_batch(items: list[Any]) -> None:
    """``services.write_batch`` with the two inserts made by the ORM's ``bulk_create``.

    For comparison only: the rows are all new here, the ORM's best case.
    ``bulk_create`` cannot say which rows an ``ON CONFLICT DO NOTHING``
    skipped (``ignore_conflicts`` leaves every primary key unset), so
    ``write_batch`` could not use it for repeats without a statement per row.
    """
    from safepassage.outbox.models import Message
    from safepassage.signatures import services
    from safepassage.signatures.models import Signature
    from safepassage.signatures.pending import hold_over_limits, hold_reused_challenges

    hold_reused_challenges(items)
    hold_over_limits(items)
    rows = Signature.objects.bulk_create([Signature(**item.fields) for item in items])
    owners = {(row.petition_id, row.email_hash): row.pk for row in rows}
    owners = {**services._owners(items), **owners}
    messages = services._messages(items, [True] * len(items), owners)
    Message.objects.bulk_create([Message(**values) for values in messages])


def mail_stage(messages: int, rounds: int) -> float:
    from django.core import mail
    from django.test import override_settings

    from safepassage.outbox.sender import send_due

    per_round = messages // rounds
    results = []
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", MAIL_SURGE_RATE=0
    ):
        for _ in range(rounds):
            mail.outbox = []

            def send_all() -> int:
                sent = 0
                while sent < per_round and (claimed := send_due()):
                    sent += claimed
                return sent

            results.append(timed(send_all))
            assert mail.outbox, "no mail was sent"
    return median_ms(results)


def run(signers: int, sizes: list[int], rounds: int) -> None:
    from django.db import connection

    from safepassage.core.demo import load_demo
    from safepassage.signatures.services import write_batch

    load_demo()  # this year's demo campaign, open for signing as `manage.py load_demo` makes it

    web, pending = web_stage(signers, rounds)
    say(f"  web (form POST, middleware, CSRF, validation, keyed hashes, encryption): {web:.3f} ms")
    # Half of the signers go through the writer's own inserts, half through
    # the ORM's bulk_create, batch size by batch size, one after the other.
    share = len(pending) // (2 * len(sizes))
    for number, size in enumerate(sizes):
        first, second = 2 * number * share, (2 * number + 1) * share
        ms = writer_stage(pending[first : first + share], size, rounds, write_batch)
        orm = writer_stage(pending[second : second + share], size, rounds, orm_write_batch)
        say(f"  writer, batches of {size:>3}: {ms:.3f} ms (the ORM's bulk_create: {orm:.3f} ms)")
    mail_ms = mail_stage(2 * share * len(sizes), rounds)
    say(f"  mail (render, MIME, record; in-memory backend): {mail_ms:.3f} ms")
    say(f"  ({connection.vendor}: {len(pending)} signatures, median of {rounds} rounds)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/signing_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--signers", type=int, default=1500, help="POSTs per round")
    parser.add_argument("--sizes", default="1,3,10", help="writer batch sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql uses BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)"
        " to create and drop the database safepassage_signing_cpu",
    )
    options = parser.parse_args(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    if options.signers < 2 * len(sizes) * options.rounds:
        parser.error("--signers is too small for that many batch sizes and rounds")
    work = Path(tempfile.mkdtemp(prefix="safepassage-signing-cpu-"))
    pg_admin = ""
    try:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
        if options.database == "postgresql":
            pg_admin = os.environ.get(
                "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
            )
            _recreate_database(pg_admin, create=True)
            url = pg_admin.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
        # Production settings, as in bench/signing; every POST comes from one address
        # and must count as a normal signature, not a throttled one.
        os.environ.update(
            {
                "ALLOWED_HOSTS": "testserver",
                "SAFEPASSAGE_DEBUG": "0",
                "SAFEPASSAGE_DEMO": "0",
                "THROTTLE_PER_IP": "100000000",
                "THROTTLE_PER_PETITION": "100000000",
                "THROTTLE_PER_NETWORK": "100000000",
                "THROTTLE_PER_DOMAIN": "100000000",
                # Every POST is a normal one: no surge switches the bot checks on.
                "BOT_CHALLENGE_SURGE_PER_MINUTE": "100000000",
            }
        )
        setup_django(work, url)
        from django.core.management import call_command

        migrated(ROOT, url, lambda: call_command("migrate", verbosity=0, interactive=False))
        call_command("collectstatic", verbosity=0, interactive=False)  # pages name hashed files
        say(f"bench/signing_cpu --database {options.database}")
        say(f"CPU of this process per signature, by stage ({os.cpu_count()} CPUs):")
        run(options.signers, sizes, options.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if pg_admin:
            from django.db import connections

            connections.close_all()
            _recreate_database(pg_admin, create=False)
    return 0


PG_DATABASE = "safepassage_signing_cpu"


def _recreate_database(admin_url: str, create: bool) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        if create:
            admin.execute(f"CREATE DATABASE {PG_DATABASE}")


if __name__ == "__main__":
    sys.exit(main())

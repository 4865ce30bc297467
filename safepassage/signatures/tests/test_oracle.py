"""No oracle by construction: a new and a repeated signer cost the same statements.

"Already signed" must look and time the same as a new signature (brief,
section 3b; invariant 2). The SQL of both is captured, once through the
signing view and once through ``services.write_batch``, its values
replaced by placeholders, and the two sequences compared. Django's
CaptureQueriesContext sees what goes through Django's cursors; the
driver-level capture (SQLite's trace callback, psycopg's ``Cursor.execute``)
also sees the writer's bulk inserts and the limits' upsert, which go straight
to the driver (``lib.bulkinsert``, ``throttle.count_in_database``). How long each takes
is measured by bench/oracle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import sign_data
from safepassage.lib.emails import canonicalize
from safepassage.signatures import services
from safepassage.signatures.pending import PendingSignature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    cache.clear()


def shape(sql: str) -> str:
    """The statement without its values: literals and placeholders become "?"."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r'"s\d+_x\d+"', "savepoint", sql)  # Django's numbered savepoints
    sql = re.sub(r"%s|\$\d+|\b\d+(?:\.\d+)?\b", "?", sql)
    return " ".join(sql.split())


@contextmanager
def statements() -> Iterator[tuple[list[str], list[str]]]:
    """The shapes of the statements run inside: (through Django, at the driver)."""
    through_django: list[str] = []
    at_driver: list[str] = []
    connection.ensure_connection()
    raw = connection.connection
    sqlite = connection.vendor == "sqlite"
    execute = psycopg.Cursor.execute
    if sqlite:
        raw.set_trace_callback(lambda sql: at_driver.append(shape(sql)))
    else:
        # psycopg has no trace hook: every statement of every cursor passes here.
        def traced(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            text = query.decode() if isinstance(query, bytes) else str(query)
            at_driver.append(shape(text))
            return execute(cursor, query, *args, **kwargs)

        psycopg.Cursor.execute = traced  # type: ignore[method-assign,assignment]
    try:
        with CaptureQueriesContext(connection) as captured:
            yield through_django, at_driver
    finally:
        if sqlite:
            raw.set_trace_callback(None)
        else:
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    through_django.extend(shape(query["sql"]) for query in captured.captured_queries)


def compare(new: Callable[[], object], repeat: Callable[[], object]) -> list[str]:
    with statements() as (new_django, new_driver):
        new()
    with statements() as (repeat_django, repeat_driver):
        repeat()
    assert new_django == repeat_django
    assert new_driver == repeat_driver
    return new_driver or new_django


def test_a_repeated_signer_costs_the_same_statements_through_the_signing_view(petition):
    client = Client()
    url = petition.get_absolute_url()

    def post(email: str) -> None:
        assert client.post(url, sign_data(email=email)).status_code == 302

    post("warm-up@example.org")  # caches (petition, forms, counters) filled for both
    post("signed-before@example.org")
    run = compare(
        lambda: post("someone-new@example.org"),
        lambda: post("Signed-Before@EXAMPLE.org"),  # the same person, typed differently
    )
    assert any("signatures_signature" in sql for sql in run)
    assert any("outbox_message" in sql for sql in run)


def test_a_repeated_signer_costs_the_same_statements_in_the_writer(petition):
    data = sign_data()

    def pending(email: str) -> PendingSignature:
        values = {**data, "email": email}
        return services.build_pending(petition, values, canonicalize(email), "192.0.2.1", "en")

    def write(email: str) -> None:
        with transaction.atomic():
            services.write_batch([pending(email)])

    write("warm-up@example.org")
    write("signed-before@example.org")
    # Only the write itself is compared: building the submission runs no SQL.
    new_item, repeat_item = pending("someone-new@example.org"), pending("SIGNED-before@example.org")
    run = compare(
        lambda: services.write_batch([new_item]),
        lambda: services.write_batch([repeat_item]),
    )
    assert any("signatures_signature" in sql for sql in run)
    assert any("limit" in sql for sql in run)


def test_a_new_and_a_repeated_signer_are_answered_no_sooner_than_the_commit_floor(
    petition, settings
):
    """The same statements still cost the database different time (a new row has indexes
    to fill); each commit lasts at least SIGNING_COMMIT_FLOOR_MS, so both answers wait for it."""
    settings.SIGNING_COMMIT_FLOOR_MS = 40
    data = sign_data()

    def commit(email: str) -> tuple[list[bool], float]:
        item = services.build_pending(
            petition, {**data, "email": email}, canonicalize(email), "192.0.2.1", "en"
        )
        started = time.monotonic()
        created = services.commit_batch([item])
        return created, time.monotonic() - started

    assert commit("signed-before@example.org")[0] == [True]
    for email, created in (("someone-new@example.org", True), ("Signed-Before@example.org", False)):
        outcome, seconds = commit(email)
        assert outcome == [created]
        assert seconds >= 0.040, (email, seconds)

"""The worker's loops: everything due is done, and its SQLite commits do not wait for the disk."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from conftest import sign_data
from safepassage.core import worker
from safepassage.outbox.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_all_due_sends_every_queued_mail_without_any_task(client: Any, petition: Any) -> None:
    for number in range(3):
        client.post(petition.get_absolute_url(), sign_data(email=f"due{number}@example.org"))
    worker.run_all_due()
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}


def test_the_workers_sqlite_connections_commit_without_a_flush_each_time() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite setting")
    connection.ensure_connection()
    worker._commit_without_waiting_for_the_disk(None, connection)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL; the web processes keep FULL (2)
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2

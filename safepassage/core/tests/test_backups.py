"""Backups keep erasures erased: the drill, on whichever database the suite runs on.

sign, confirm, back up, withdraw, restore the old backup: the withdrawn
signer is erased again, their queued mail is never sent, everyone else is
still there. Run on SQLite and again on PostgreSQL (scripts/test).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from psycopg import sql

from conftest import require, run_tasks, sign_data
from safepassage.campaigns.models import Petition
from safepassage.core import backups, pgtools
from safepassage.core.housekeeping import housekeeping
from safepassage.outbox.models import Message
from safepassage.signatures import counter, erasurelog, services
from safepassage.signatures.models import Erasure, Signature

STAYER = "stays@example.org"
LEAVER = "leaves@example.org"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.REPEAT_MAIL_MINUTES = 0
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.ERASURE_LOG_PATH = tmp_path / "log" / "erasures.jsonl"
    cache.clear()


def _sign(client, petition, email: str) -> None:
    response = client.post(petition.get_absolute_url(), sign_data(email=email))
    assert response.status_code == 302


def _signed_and_confirmed(client, petition, email: str) -> Signature:
    _sign(client, petition, email)
    signature = Signature.objects.get(email_hash=services.hash_email(email))
    assert services.confirm(signature)
    return signature


def _backup() -> Path:
    out = io.StringIO()
    call_command("backup", stdout=out)
    (path,) = Path(settings.BACKUP_DIR).glob("safepassage-*")
    assert str(path) in out.getvalue()
    return path


def _restore(path: Path) -> str:
    out = io.StringIO()
    call_command("restore", str(path), interactive=False, stdout=out)
    return out.getvalue()


def _require_pg_tools() -> None:
    if connection.vendor == "postgresql":
        try:
            pgtools.tool_path("pg_dump")
            pgtools.tool_path("pg_restore")
        except backups.BackupError:
            require(False, "pg_dump and pg_restore (postgresql-client)")


@pytest.mark.django_db(transaction=True)
def test_the_drill_a_signer_who_withdrew_after_the_backup_stays_erased_after_restoring_it(
    client, petition, smtp_server
):
    _require_pg_tools()
    stayer = _signed_and_confirmed(client, petition, STAYER)
    leaver = _signed_and_confirmed(client, petition, LEAVER)
    # Each signs again: a "you already signed" mail is queued for each, unsent.
    _sign(client, petition, STAYER)
    _sign(client, petition, LEAVER)
    leaver_mail = Message.objects.get(kind=Message.Kind.SIGNATURE_REPEAT, signature=leaver)
    assert leaver_mail.status == Message.Status.QUEUED
    backup = _backup()

    services.erase(leaver, reason="withdrawn")
    housekeeping()  # the worker's sweep writes the erasure to the log outside the database
    logged = erasurelog.erasures(erasurelog.read(Path(settings.ERASURE_LOG_PATH)))
    assert [r.email_hash for r in logged] == [leaver.email_hash]
    # A table of a later migration: the restore must not trip over it.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_feature (id integer PRIMARY KEY)")

    output = _restore(backup)

    assert "@" not in output
    assert "1 signatures erased again" in output
    assert not Signature.objects.filter(email_hash=leaver.email_hash).exists()
    assert Signature.objects.filter(email_hash=stayer.email_hash).exists()
    assert Erasure.objects.filter(email_hash=leaver.email_hash).count() == 1
    assert counter.confirmed_count(Petition.objects.get(pk=petition.pk)) == 1
    leaver_mail.refresh_from_db()
    assert leaver_mail.status == Message.Status.WITHHELD
    assert leaver_mail.recipient_encrypted == ""
    with connection.cursor() as cursor:
        assert "later_feature" not in connection.introspection.table_names(cursor)

    # The worker then runs on the restored database: only the stayer hears from us.
    run_tasks()
    delivered = smtp_server.wait_for(1)
    assert [message["To"] for message in delivered] == [STAYER]

    # Replaying the log again changes nothing more (idempotent).
    out = io.StringIO()
    call_command("replay_erasures", str(settings.ERASURE_LOG_PATH), stdout=out)
    assert "1 erasures replayed, 0 signatures removed" in out.getvalue()
    assert Erasure.objects.filter(email_hash=leaver.email_hash).count() == 1
    assert Signature.objects.filter(email_hash=stayer.email_hash).exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_private_complete_and_holds_no_key_and_no_address(client, petition):
    _require_pg_tools()
    _signed_and_confirmed(client, petition, STAYER)
    _sign(client, petition, "contact-me@example.org")
    gone = _signed_and_confirmed(client, petition, LEAVER)
    services.erase(gone, reason="withdrawn")
    backup = _backup()

    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    names = sorted(p.name for p in backup.iterdir())
    kind = connection.vendor
    assert names == sorted(["manifest.json", "erasures.jsonl", backups.DATABASE_FILES[kind]])
    for path in backup.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == kind
    assert "0001_initial" in manifest["migrations"]["signatures"]
    assert manifest["erasures"] == 1
    assert backups.read_manifest(backup) == manifest  # every sha256 matches
    (record,) = erasurelog.erasures(erasurelog.read(backup / "erasures.jsonl"))
    assert (record.petition_id, record.email_hash) == (petition.pk, gone.email_hash)

    contents = b"".join(path.read_bytes() for path in backup.iterdir())
    if kind == "postgresql":
        # The custom format is compressed: read it as SQL too.
        contents += subprocess.run(
            [pgtools.tool_path("pg_restore"), "-f", "-", str(backup / "database.pgdump")],
            capture_output=True,
            check=True,
        ).stdout
    assert b"signatures_signature" in contents  # the database really is in there
    secrets = [settings.SECRET_KEY.encode(), settings.SIGNER_HASH_KEY]
    secrets += [key.encode() for key in settings.ENCRYPTION_KEYS]
    for secret in secrets:
        assert secret not in contents
    for address in (STAYER, LEAVER, "contact-me@example.org"):
        assert address.encode() not in contents


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_while_the_application_is_running_or_the_backup_is_damaged(
    client, petition
):
    _require_pg_tools()
    _signed_and_confirmed(client, petition, STAYER)
    backup = _backup()
    db = connection.settings_dict
    app: sqlite3.Connection | psycopg.Connection[Any]
    if connection.vendor == "sqlite":
        app = sqlite3.connect(db["NAME"])
        app.execute("PRAGMA journal_mode=WAL")
        app.execute("SELECT count(*) FROM signatures_signature").fetchone()
    else:
        app = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            host=db["HOST"],
            port=db["PORT"] or 5432,
            application_name="left-running",
        )
        # Its last query holds an address, as an application's may.
        app.execute(sql.SQL("SELECT {}").format(sql.Literal(STAYER)))
        left = app.info.backend_pid
    try:
        with pytest.raises(CommandError, match="stop the web server") as refused:
            _restore(backup)
    finally:
        app.close()
    if connection.vendor == "postgresql":  # the operator is told which client is left
        assert "1 other connections" in str(refused.value)
        assert f"server process {left} of 'left-running'" in str(refused.value)
        assert STAYER not in str(refused.value)
    assert Signature.objects.count() == 1

    log = backup / "erasures.jsonl"
    os.chmod(log, 0o600)
    log.write_bytes(log.read_bytes() + b"\n")
    with pytest.raises(CommandError, match=r"erasures.jsonl is missing or damaged"):
        _restore(backup)


@pytest.mark.django_db(transaction=True)
def test_restore_waits_a_moment_for_a_process_just_stopped_to_let_go(client, petition):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's check sees only files still open, never a closing connection")
    _require_pg_tools()
    _signed_and_confirmed(client, petition, STAYER)
    backup = _backup()
    db = connection.settings_dict
    app = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    )
    threading.Timer(1.0, app.close).start()  # an application stopping as restore starts
    assert "Restored" in _restore(backup)
    assert Signature.objects.count() == 1


@pytest.mark.django_db
def test_housekeeping_keeps_an_append_only_erasure_log_outside_the_database(client, petition):
    signature = _signed_and_confirmed(client, petition, LEAVER)
    log = Path(settings.ERASURE_LOG_PATH)
    assert housekeeping()["erasures_logged"] == 0
    assert log.read_bytes() == b""
    services.erase(signature, reason="withdrawn")

    assert housekeeping()["erasures_logged"] == 1
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert LEAVER.encode() not in log.read_bytes()
    written = log.stat()
    assert housekeeping()["erasures_logged"] == 0
    assert (log.stat().st_ino, log.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    # A database restored by hand, without its erasures: the log keeps them.
    Erasure.objects.all().delete()
    assert housekeeping()["erasures_logged"] == 0
    assert [r.email_hash for r in erasurelog.erasures(erasurelog.read(log))] == [
        signature.email_hash
    ]
    assert not [p for p in log.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_backup_is_consistent_while_a_writer_is_mid_transaction(client, petition):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's online backup; pg_dump takes its own snapshot")
    _signed_and_confirmed(client, petition, STAYER)
    writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM signatures_signature")  # not committed
        backup = _backup()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(backup / "database.sqlite3")
    try:
        assert copy.execute("SELECT count(*) FROM signatures_signature").fetchone() == (1,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        copy.close()


@pytest.mark.django_db
def test_replaying_a_log_skips_erasures_of_petitions_deleted_since(client, petition):
    signature = _signed_and_confirmed(client, petition, LEAVER)
    gone = erasurelog.ErasureRecord(petition.pk + 1000, "0" * 64, signature.created_at, "withdrawn")
    here = erasurelog.ErasureRecord(petition.pk, signature.email_hash, timezone.now(), "withdrawn")
    assert services.replay_erasures([gone.as_replay(), here.as_replay()]) == 1
    assert list(Erasure.objects.values_list("petition_id", flat=True)) == [petition.pk]

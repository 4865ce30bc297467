"""The settings of several hosts (docs/deployment.md, "Several hosts"), each off by default.

Read in fresh processes with production's settings module, as a host reads them.
The multi-host test (test_several_hosts.py) runs them for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from conftest import ROOT, _database_url
from safepassage.core.worker import BackgroundWorker
from safepassage.lib import wakeup

REPORT = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
db = settings.DATABASES["default"]
private = storages["private"]
print(json.dumps({
    "tasks": settings.TASKS["default"]["BACKEND"],
    "rq_app": "django_rq" in settings.INSTALLED_APPS,
    "rq": getattr(settings, "RQ", {}), "rq_queues": getattr(settings, "RQ_QUEUES", {}),
    "prepare": db.get("OPTIONS", {}).get("prepare_threshold", "absent"),
    "server_side_cursors_off": db.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "direct": settings.DATABASE_DIRECT_URL,
    "private": type(private).__name__, "default": type(storages["default"]).__name__,
    "acl": getattr(private, "default_acl", None),
    "overwrite": getattr(private, "file_overwrite", None),
    "location": getattr(private, "location", None),
    "url": private.url("packets/list.pdf"),
}))
"""


def settings_with(**variables: str) -> tuple[int, dict[str, Any] | str]:
    keep = ("DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "FILE_STORAGE", "S3_", "RQ_REDIS_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env |= {"DJANGO_SETTINGS_MODULE": "safepassage.settings", **variables}
    done = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        return done.returncode, done.stderr
    return 0, json.loads(done.stdout.strip().splitlines()[-1])


def test_one_machine_keeps_the_database_queue_and_local_files() -> None:
    status, report = settings_with()
    assert status == 0, report
    assert isinstance(report, dict)
    assert report["tasks"] == "django_tasks_db.DatabaseBackend" and not report["rq_app"]
    assert (report["private"], report["default"]) == ("FileSystemStorage", "FileSystemStorage")
    assert report["url"].startswith("/private-files-are-not-served/")


def test_rq_tasks_on_redis_with_the_job_class_of_the_tasks_api() -> None:
    status, report = settings_with(TASKS_BACKEND="rq", REDIS_URL="redis://10.0.0.10:6379/0")
    assert status == 0, report
    assert isinstance(report, dict)
    assert report["tasks"] == "django_tasks_rq.RQBackend" and report["rq_app"]
    assert report["rq"] == {"JOB_CLASS": "django_tasks_rq.backend.Job"}
    assert report["rq_queues"]["default"]["URL"] == "redis://10.0.0.10:6379/0"
    status, report = settings_with(
        TASKS_BACKEND="rq", REDIS_URL="redis://h:6379/0", RQ_REDIS_URL="redis://h:6379/1"
    )
    assert isinstance(report, dict) and report["rq_queues"]["default"]["URL"] == "redis://h:6379/1"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND=rq needs RQ_REDIS_URL or REDIS_URL"),
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND must be 'database' or 'rq'"),
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs S3_BUCKET"),
        ({"FILE_STORAGE": "nfs"}, "FILE_STORAGE must be 'filesystem' or 's3'"),
    ],
)
def test_incomplete_settings_stop_the_start(variables: dict[str, str], message: str) -> None:
    status, report = settings_with(**variables)
    assert status != 0 and message in str(report)


def test_s3_storage_is_private_and_gives_out_no_url_of_the_store() -> None:
    status, report = settings_with(
        FILE_STORAGE="s3",
        S3_BUCKET="safepassage-files",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )
    assert status == 0, report
    assert isinstance(report, dict)
    assert (report["private"], report["default"]) == ("PrivateS3Storage", "PrivateS3Storage")
    assert report["acl"] == "private" and report["overwrite"] is False
    assert report["location"] == "private"
    # The same dead address as on disk: no link to the store, signed or not.
    assert report["url"] == "/private-files-are-not-served/packets/list.pdf"


def test_behind_pgbouncer_nothing_is_prepared_and_no_cursor_outlives_a_transaction() -> None:
    pooled = "postgres://app@10.0.0.10:6432/safepassage"
    status, report = settings_with(DATABASE_URL=pooled)
    assert status == 0, report
    assert isinstance(report, dict)
    assert report["prepare"] == 5 and not report["server_side_cursors_off"]
    status, report = settings_with(
        DATABASE_URL=pooled,
        DATABASE_PREPARED_STATEMENTS="0",
        DISABLE_SERVER_SIDE_CURSORS="1",
        DATABASE_DIRECT_URL="postgres://app@10.0.0.10:5432/safepassage",
    )
    assert isinstance(report, dict)
    assert report["prepare"] is None and report["server_side_cursors_off"] is True
    assert report["direct"] == "postgres://app@10.0.0.10:5432/safepassage"


def test_with_rq_the_worker_sends_mail_and_sweeps_but_runs_no_tasks() -> None:
    assert [t.name for t in BackgroundWorker().threads] == ["mail", "tasks", "housekeeping"]
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}}):
        worker = BackgroundWorker()
        assert [t.name for t in worker.threads] == ["mail", "housekeeping"]
        assert list(worker.listener.events) == ["safepassage_mail"]


@pytest.mark.django_db(transaction=True)
def test_the_listener_goes_straight_to_postgresql_when_told(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY exists on PostgreSQL only; SQLite workers poll")
    settings.DATABASE_DIRECT_URL = f"{_database_url()}?application_name=sp-direct-listener"
    stop = threading.Event()
    listener = wakeup.Listener([wakeup.MAIL], stop)
    listener.start()
    try:
        assert listener.events[wakeup.MAIL].wait(10)  # connected (a fresh connection sets it)
        listener.events[wakeup.MAIL].clear()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT query FROM pg_stat_activity WHERE application_name = 'sp-direct-listener'"
            )
            assert [row[0] for row in cursor.fetchall()] == [f"LISTEN {wakeup.MAIL}"]
        wakeup._last_notified.clear()
        wakeup.wake(wakeup.MAIL)  # through the application's own connection, as behind PgBouncer
        assert listener.events[wakeup.MAIL].wait(5)
    finally:
        stop.set()
        listener.join()

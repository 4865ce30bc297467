"""How the deployment is laid out, from the environment: database, task queue, file storage.

One host with SQLite and files on disk is the default; several hosts share PostgreSQL
(through PgBouncer), a task queue in Redis and an S3-compatible object store
(docs/deployment.md, "Several hosts"). settings.py calls these and keeps the results.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import dj_database_url

from safepassage.lib.env import ConfigurationError, env_bool, env_int, env_str


def database(data_dir: Path, debug: bool) -> dict[str, Any]:
    """The default database from DATABASE_URL (SQLite in the data directory when unset)."""
    db: dict[str, Any] = dict(
        dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{data_dir / 'safepassage.sqlite3'}"),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
        )
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; synchronous=FULL makes every
        # acknowledged commit durable; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on the busy timeout instead of failing mid-transaction.
        db["CONN_MAX_AGE"] = 0 if debug else 600
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # Tests that start real server processes share the test database, so it
        # must be a file rather than SQLite's private in-memory database; one per
        # test run, so that two runs at once do not destroy each other's.
        db["TEST"] = {"NAME": str(data_dir / f"test-{os.getpid()}.sqlite3")}
        return db
    # The signing writer's two INSERTs are the same text for any batch; the
    # server plans them once per connection (lib/bulkinsert.py). Django's own
    # queries bind in the client and are never prepared. Turn off behind a
    # pooler that cannot keep prepared statements (PgBouncer before 1.21 in
    # transaction mode, Debian 12's 1.18): None stops psycopg preparing at all.
    db.setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
    )
    # Behind PgBouncer in transaction pooling a server-side cursor (QuerySet.iterator())
    # may find its next statement on another server connection: DISABLE_SERVER_SIDE_CURSORS=1.
    db["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DISABLE_SERVER_SIDE_CURSORS", False)
    return db


class TaskQueue(NamedTuple):
    tasks: dict[str, Any]
    rq_queues: dict[str, Any]
    rq: dict[str, Any]
    apps: list[str]


def task_queue(backend: str, redis_url: str) -> TaskQueue:
    """Where background tasks (routing, packets, statistics, webhooks, updates) wait.

    "database": rows in our own database, run by `manage.py worker`; "rq": Redis through
    RQ, run by `manage.py rqworker --with-scheduler default` on any host. Mail never goes
    through it: the outbox is its own queue, sent by `manage.py worker`.
    """
    if backend == "database":
        return TaskQueue({"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}, {}, {}, [])
    if backend != "rq":
        raise ConfigurationError("TASKS_BACKEND must be 'database' or 'rq'")
    # Its own Redis database is best (RQ_REDIS_URL): clearing the cache then keeps the queue.
    url = env_str("RQ_REDIS_URL", redis_url)
    if not url:
        raise ConfigurationError("TASKS_BACKEND=rq needs RQ_REDIS_URL or REDIS_URL")
    return TaskQueue(
        tasks={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        # A packet of a big mission may take minutes: an hour before RQ gives a task up.
        rq_queues={"default": {"URL": url, "DEFAULT_TIMEOUT": 3600}},
        # The worker must run each job as a task of the Tasks API (its signals, its result).
        rq={"JOB_CLASS": "django_tasks_rq.backend.Job"},
        apps=["django_rq"],
    )


def object_storages(kind: str) -> dict[str, dict[str, Any]]:
    """The storages to put in place of the local ones: none on disk, both in S3 for "s3".

    Uploads and private files go to an S3-compatible object store every host reaches,
    never public: private ACL, no URL handed out (lib/s3storage.py), sent only by the
    views that check who asks.
    """
    if kind == "filesystem":
        return {}
    if kind != "s3":
        raise ConfigurationError("FILE_STORAGE must be 'filesystem' or 's3'")
    options = {
        "bucket_name": env_str("S3_BUCKET"),
        "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
        "region_name": env_str("S3_REGION") or None,
        "access_key": env_str("S3_ACCESS_KEY_ID"),
        "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
        "default_acl": "private",
        "file_overwrite": False,  # a name taken gets a suffix, as on disk
    }
    if not options["bucket_name"]:
        raise ConfigurationError("FILE_STORAGE=s3 needs S3_BUCKET")
    return {
        name: {
            "BACKEND": "safepassage.lib.s3storage.PrivateS3Storage",
            "OPTIONS": {**options, "location": prefix},
        }
        for name, prefix in (("default", "media"), ("private", "private"))
    }

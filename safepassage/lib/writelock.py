"""One writer at a time on SQLite, queued in the kernel rather than by sleeping.

SQLite lets a blocked writer retry with growing sleeps (up to 100 ms each),
so a process that keeps committing can starve another one for seconds. The
signing committers and the mail worker therefore take an exclusive file lock
(flock) around their write transactions: a waiting process is woken the
moment the lock is free. On PostgreSQL this does nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_thread_lock = threading.Lock()
_files: dict[tuple[int, str], int] = {}


def _lock_fd(path: str) -> int:
    # One descriptor per process and database: flock() locks are per open file.
    key = (os.getpid(), path)
    if key not in _files:
        _files[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _files[key]


@contextmanager
def database_write_lock() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        yield
        return
    fd = _lock_fd(f"{name}.write-lock")
    with _thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

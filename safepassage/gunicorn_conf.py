"""gunicorn configuration: start the signing writer together with the web server.

    gunicorn -c python:safepassage.gunicorn_conf safepassage.wsgi:application ...

Before the workers start, the master starts ``manage.py signing_writer`` on
a socket in a new private directory and passes its path to the workers in
``SIGNING_WRITER_SOCKET``; on shutdown it stops the writer. The writer also
stops by itself if the master dies; the directory a killed writer leaves
behind is removed at the next start. With ``SIGNING_WRITER=0`` none is
started: each worker then commits each signature in a transaction of its
own (measured slower on both databases: docs/performance.md). The web
workers run at a slightly lower CPU priority than the writer (``WEB_NICE``,
default 5), which every signature passes through. This module imports nothing from Django: the
master never loads the application.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"
STARTUP_SECONDS = 30.0
PREFIX = "safepassage-writer-"

# gunicorn's control socket (gunicornc) is not used: servers are managed with signals
# and the service manager. Its default path is one per user ($HOME/.gunicorn/gunicorn.ctl),
# so two servers of one user on a host would bind the same file.
control_socket_disable = True

_writer: subprocess.Popen[bytes] | None = None
_directory: str | None = None


def _enabled() -> bool:
    return os.environ.get("SIGNING_WRITER", "1").strip().lower() not in {"0", "false", "no", "off"}


def on_starting(server: Any) -> None:
    global _writer, _directory
    os.environ.pop("SIGNING_WRITER_SOCKET", None)
    if not _enabled():
        return
    _remove_stale_directories()
    _directory = tempfile.mkdtemp(prefix=PREFIX)
    path = os.path.join(_directory, "signing.sock")
    command = [sys.executable, str(MANAGE_PY), "signing_writer", "--socket", path]
    command += ["--parent", str(os.getpid())]
    _writer = subprocess.Popen(command, cwd=MANAGE_PY.parent)  # noqa: S603 (our own command)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not os.path.exists(path):
        if _writer.poll() is not None or time.monotonic() > deadline:
            server.log.error("the signing writer did not start; workers commit on their own")
            on_exit(server)
            return
        time.sleep(0.05)
    os.environ["SIGNING_WRITER_SOCKET"] = path
    server.log.info("signing writer %s on %s", _writer.pid, path)


def _remove_stale_directories() -> None:
    """Remove this user's writer directories whose socket nobody listens on any more.

    A directory younger than STARTUP_SECONDS may belong to another gunicorn
    whose writer is still starting (its socket not yet there): it is left
    alone. An older one without a listening writer was left by a killed one.
    """
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            status = directory.stat()
            if status.st_uid != os.getuid() or time.time() - status.st_mtime < STARTUP_SECONDS:
                continue
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(directory / "signing.sock"))
        except OSError:  # no socket, or no writer behind it: a killed writer's leftovers
            shutil.rmtree(directory, ignore_errors=True)


def on_exit(server: Any) -> None:
    global _writer, _directory
    if _writer is not None and _writer.poll() is None:
        _writer.terminate()
        try:
            _writer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _writer.kill()
    _writer = None
    if _directory is not None:
        shutil.rmtree(_directory, ignore_errors=True)
        _directory = None


def post_fork(server: Any, worker: Any) -> None:
    # When the CPU is busy, the writer must not wait behind the workers that feed it.
    nice = int(os.environ.get("WEB_NICE", "5"))
    if _writer is not None and nice > 0:
        os.nice(nice)

"""What each pytest-xdist worker needs of its own (loaded with ``-p``, pyproject.toml).

A data directory: collected static files, uploads, packets, the live
servers' logs and the SQLite test database live there, and two workers
sharing one would overwrite each other's files and read each other's logs.
The settings read the directory once, when pytest-django imports them, so
the worker's own is put in the environment before that.

A temporary directory: a starting gunicorn removes the signing-writer
directories of this user under it whose socket does not answer yet
(gunicorn_conf.py), so two live servers starting at the same moment would
remove each other's.

The processes a test starts inherit both. Without workers nothing changes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_temporary: str | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    global _temporary
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    shared = os.environ.get("SAFEPASSAGE_DATA_DIR") or str(ROOT / "var" / "test")
    os.environ["SAFEPASSAGE_DATA_DIR"] = str(Path(shared) / worker)
    # Short, under the system's own temporary directory: a socket path has at most 107 bytes.
    _temporary = tempfile.mkdtemp(prefix=f"safepassage-test-{worker}-")
    os.environ["TMPDIR"] = _temporary
    tempfile.tempdir = None  # computed again from TMPDIR on its next use


def pytest_unconfigure(config: pytest.Config) -> None:
    if _temporary is not None:
        shutil.rmtree(_temporary, ignore_errors=True)

"""gunicorn's start-up clears the signing-writer folders that killed writers left behind."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepassage import gunicorn_conf


def writer_folder(root: Path, name: str, age: float) -> Path:
    folder = root / f"{gunicorn_conf.PREFIX}{name}"
    folder.mkdir()
    then = time.time() - age
    os.utime(folder, (then, then))
    return folder


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder with a short path: a Unix socket's path holds at most 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="sp-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_only_old_folders_without_a_listening_writer_are_removed(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = short_tmp
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    old = gunicorn_conf.STARTUP_SECONDS + 60
    killed = writer_folder(tmp_path, "killed", old)
    starting = writer_folder(tmp_path, "starting", 1)  # another gunicorn, its writer not up yet
    alive = writer_folder(tmp_path, "alive", old)
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(alive / "signing.sock"))
        listener.listen()
        os.utime(alive, (time.time() - old, time.time() - old))
        gunicorn_conf._remove_stale_directories()
    assert not killed.exists()
    assert starting.exists()
    assert alive.exists()

"""Every file the application writes is readable by its own user only (invariant 10).

Files 0600, directories 0700, whatever the umask of the shell that started
the process: the processes are started here with a umask of 022, as a
service manager or a login shell would.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def violations(root: Path) -> list[str]:
    """Every file under ``root`` that is not 0600 and every directory that is not 0700."""
    bad = []
    for path in [root, *sorted(root.rglob("*"))]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            bad.append(f"{oct(mode)} {path.relative_to(root.parent)}")
    return bad


def _open_umask() -> None:
    os.umask(0o022)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_open_umask,
        check=False,
    )


def fresh_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDIA_ROOT")}
    env.pop("PRIVATE_ROOT", None)
    env.update(
        {
            "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "safepassage.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


@pytest.mark.parametrize(
    "module", ["safepassage.settings", "safepassage.wsgi", "safepassage.gunicorn_conf"]
)
def test_importing_an_entry_point_sets_a_private_umask(module: str, tmp_path: Path) -> None:
    code = f"import os; import {module}; print(oct(os.umask(0o022)))"
    result = run([sys.executable, "-c", code], fresh_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0o77"


def test_manage_py_commands_run_with_a_private_umask(tmp_path: Path) -> None:
    code = "import os; print(oct(os.umask(0o077)))"
    result = run([sys.executable, "manage.py", "shell", "-c", code], fresh_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0o77"


# Run by `manage.py shell` in a fresh data directory, with the database open (so its
# -wal and -shm files exist): mail through the demo's file backend, an upload to
# each storage, then every path under the data directory with its mode.
WRITE_AND_LIST = """
import json, os, stat
from pathlib import Path
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.mail import send_mail
from django.db import connection
from safepassage.signatures.models import Signature

send_mail("Confirm your signature", "body", "from@example.org", ["to@example.org"])
storages["private"].save("letterheads/2026/head.pdf", ContentFile(b"%PDF-1.4 letterhead"))
default_storage.save("logos/coalition.png", ContentFile(b"logo"))
Signature.objects.count()
root = Path(settings.DATA_DIR)
print(json.dumps({
    str(p.relative_to(root)): oct(stat.S_IMODE(p.lstat().st_mode))
    for p in [root, *root.rglob("*")]
}))
"""


@pytest.mark.slow  # migrate, build_gazetteer and two more commands, each in a fresh process
def test_the_database_mail_uploads_gazetteer_and_credentials_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"  # made by the settings, as on a fresh server
    env = fresh_env(data)
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        ["build_gazetteer", "-v", "0"],
        ["ensure_organiser"],
        ["shell", "-c", WRITE_AND_LIST],
    ):
        result = run(manage + command, env)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    modes: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    names = set(modes)
    assert {"safepassage.sqlite3", "safepassage.sqlite3-wal", "safepassage.sqlite3-shm"} <= names
    assert "organiser-credentials.txt" in names
    assert any(name.startswith("gazetteer-") for name in names)
    assert any(name.startswith("demo-mail/") for name in names)
    assert "private/letterheads/2026/head.pdf" in names
    assert "media/logos/coalition.png" in names
    assert violations(data) == []


def test_the_test_suites_own_database_is_private(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a PostgreSQL database is the server's files, not ours")
    connection.ensure_connection()
    name = Path(connection.settings_dict["NAME"])
    for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

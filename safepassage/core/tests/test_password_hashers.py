"""Production hashes passwords with Django's slow default; only the test run takes a cheap one.

The test run's settings (core/tests/settings.py) put MD5 first to save the
cost of a million PBKDF2 rounds per login; a deployment must never get it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.contrib.auth.hashers import get_hasher

from conftest import ROOT

PRODUCTION = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, make_password
print(make_password("correct horse battery staple").split("$")[0])
print(" ".join(hasher.algorithm for hasher in get_hashers()))
print(settings.SETTINGS_MODULE)
"""


def test_production_settings_hash_with_pbkdf2_and_accept_no_weak_hash() -> None:
    # A fresh process, as a deployment starts one: manage.py and wsgi.py default to these settings.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "safepassage.settings"
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    algorithm, accepted, module = result.stdout.split("\n")[:3]
    assert (algorithm, module) == ("pbkdf2_sha256", "safepassage.settings")
    assert not {"md5", "unsalted_md5", "unsalted_sha1", "sha1"} & set(accepted.split())


def test_the_entry_points_default_to_the_production_settings() -> None:
    for entry_point in ("manage.py", "safepassage/wsgi.py"):
        source = (ROOT / entry_point).read_text(encoding="utf-8")
        assert '"DJANGO_SETTINGS_MODULE", "safepassage.settings"' in source, entry_point
        assert "tests.settings" not in source, entry_point


def test_the_test_run_uses_the_cheap_hasher() -> None:
    assert get_hasher().algorithm == "md5"

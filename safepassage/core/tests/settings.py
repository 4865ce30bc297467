"""The settings of the test run: production's, with a cheap password hasher first.

pytest loads this module (pyproject.toml), and every process a test starts
inherits it through DJANGO_SETTINGS_MODULE, so a live server checks the
passwords of the users a test made. Production's hasher costs a million
PBKDF2 rounds per login or new user, which added up to minutes per run; the
rounds are the whole point of it and none of the tests measures them.
Production's own choice is checked in test_password_hashers.py. Nothing outside
the tests names this module, and no environment variable switches a
deployment to it.
"""

from __future__ import annotations

from django.conf import global_settings

from safepassage.settings import *  # noqa: F403

# MD5 first, so that every hash made in a test is cheap; the rest still verify
# any hash made with production's hashers.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *global_settings.PASSWORD_HASHERS,
]

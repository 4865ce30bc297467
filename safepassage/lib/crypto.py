"""Authenticated encryption of stored personal data, with rotatable keys.

The first key in ENCRYPTION_KEYS encrypts; every key decrypts. Rotation:
put a new key first, run ``manage.py rotate_encryption_keys``, then drop the
old key (docs/privacy.md).
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt under the newest key (a no-op in meaning, new ciphertext)."""
    return fernet().rotate(token.encode()).decode()

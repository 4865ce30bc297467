"""Tokens for the links in our mail: an HMAC of a random UUID under SECRET_KEY.

Each kind of link has its own salt (``namespace`` plus purpose), so a token
made to confirm cannot be used to withdraw or cancel. Used by signatures and
RSVPs alike; the salts are part of the links already sent and must not change.
"""

from __future__ import annotations

import uuid

from django.utils.crypto import constant_time_compare, salted_hmac


def make_token(namespace: str, purpose: str, value: uuid.UUID | str) -> str:
    mac = salted_hmac(f"{namespace}.{purpose}", str(value), algorithm="sha256")
    return mac.hexdigest()[:40]


def check_token(namespace: str, purpose: str, value: uuid.UUID | str, token: str) -> bool:
    return constant_time_compare(make_token(namespace, purpose, value), token)

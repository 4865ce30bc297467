"""Links in mail that act on a signature, and the keyed IP hash.

A link token is an HMAC of the signature's random UUID under SECRET_KEY, so
the database alone (a leaked backup) cannot produce a working link, and the
same link can be mailed again without storing it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings

from safepassage.lib import links

PURPOSES = ("confirm", "withdraw")


def link_token(purpose: str, signature_uuid: uuid.UUID | str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return links.make_token("safepassage.signatures", purpose, signature_uuid)


def check_link_token(purpose: str, signature_uuid: uuid.UUID | str, token: str) -> bool:
    return links.check_token("safepassage.signatures", purpose, signature_uuid, token)


def ip_hash(ip: str) -> str:
    """Keyed hash of a client address: enough to throttle, useless to identify.

    Its key is ``IP_HASH_KEY``, never ``SECRET_KEY``: the whole IPv4 space can be
    hashed in minutes, so whoever holds the key can reverse every stored hash.
    Housekeeping sets stored hashes to null after ``IP_HASH_RETENTION_DAYS``.
    """
    if not ip:
        return ""
    return hmac.new(settings.IP_HASH_KEY, ip.encode(), hashlib.sha256).hexdigest()

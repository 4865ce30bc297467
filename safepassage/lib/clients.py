"""Who is asking: the client's address behind our proxies, and its keyed hash.

Signing, sign-in and the API throttle and audit by the same hash, so that an
address seen in one is recognisable in another without ever being stored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting exactly TRUSTED_PROXY_COUNT proxies in front."""
    if settings.TRUSTED_PROXY_COUNT:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= settings.TRUSTED_PROXY_COUNT:
            return str(forwarded[-settings.TRUSTED_PROXY_COUNT])
    return str(request.META.get("REMOTE_ADDR", ""))


def ip_hash(ip: str) -> str:
    """Keyed hash of a client address: enough to throttle, useless to identify.

    Its key is ``IP_HASH_KEY``, never ``SECRET_KEY``: the whole IPv4 space can be
    hashed in minutes, so whoever holds the key can reverse every stored hash.
    Housekeeping blanks stored hashes older than ``hash_retention_cutoff``.
    """
    if not ip:
        return ""
    return hmac.new(settings.IP_HASH_KEY, ip.encode(), hashlib.sha256).hexdigest()


def hash_retention_cutoff(now: datetime | None = None) -> datetime:
    """Address hashes recorded before this moment are past IP_HASH_RETENTION_DAYS."""
    return (now or timezone.now()) - timedelta(days=settings.IP_HASH_RETENTION_DAYS)

"""Counting submissions per salted client address and per petition.

Going over a limit never rejects a submission (a whole office may sign from
one address): the signature is stored but held for an organiser's review.
The counters live in the cache: per process with the default in-memory
cache, shared by all servers once REDIS_URL is set.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting exactly TRUSTED_PROXY_COUNT proxies in front."""
    if settings.TRUSTED_PROXY_COUNT:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= settings.TRUSTED_PROXY_COUNT:
            return str(forwarded[-settings.TRUSTED_PROXY_COUNT])
    return str(request.META.get("REMOTE_ADDR", ""))


def _hit(key: str) -> int:
    # One cache operation for every submission but the first in a window.
    try:
        return int(cache.incr(key))
    except ValueError:  # no counter yet in this window (or it just expired)
        if cache.add(key, 1, settings.THROTTLE_WINDOW_SECONDS):
            return 1
        return int(cache.incr(key))  # another request created it meanwhile


def review_reason(petition_id: int, ip_hash: str, scope: str = "sign") -> str:
    """Count this submission; return why it must be reviewed, or "" if within limits."""
    window = int(time.time() // settings.THROTTLE_WINDOW_SECONDS)
    reasons = []
    if (
        ip_hash
        and _hit(f"throttle:{scope}:ip:{petition_id}:{ip_hash}:{window}") > settings.THROTTLE_PER_IP
    ):
        reasons.append("many signatures from one address")
    if _hit(f"throttle:{scope}:petition:{petition_id}:{window}") > settings.THROTTLE_PER_PETITION:
        reasons.append("unusual signing rate")
    return "; ".join(reasons)

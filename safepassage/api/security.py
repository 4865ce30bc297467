"""Bearer-token authentication and rate limits of the JSON API.

Rate limits are fixed one-minute windows counted in Django's cache (per
process with the default in-memory cache, shared by every server once
REDIS_URL is set):

- public operations: API_ANON_PER_MINUTE per client address (default 120),
  salted and hashed before it becomes a cache key;
- the team's operations: API_TOKEN_PER_MINUTE per token (default 600).

A request with a missing, unknown or revoked token on an endpoint that needs
one counts against its address's budget too, so guessing tokens is throttled
like any anonymous use.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from safepassage.api.models import ApiToken, hash_token
from safepassage.lib.clients import client_ip

WINDOW_SECONDS = 60
DEFAULT_ANON_PER_MINUTE = 120
DEFAULT_TOKEN_PER_MINUTE = 600
# last_used_at is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def anon_limit() -> int:
    return int(getattr(settings, "API_ANON_PER_MINUTE", DEFAULT_ANON_PER_MINUTE))


def token_limit() -> int:
    return int(getattr(settings, "API_TOKEN_PER_MINUTE", DEFAULT_TOKEN_PER_MINUTE))


def address_key(request: HttpRequest) -> str:
    digest = salted_hmac("safepassage.api.ratelimit", client_ip(request), algorithm="sha256")
    return "ip:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(ident: str, limit: int, now: float | None = None) -> Verdict:
    """Count one request for ``ident`` in the current window."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"api:rate:{ident}:{window}"
    cache.add(key, 0, WINDOW_SECONDS + 5)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, WINDOW_SECONDS + 5)
        count = 1
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return Verdict(count <= limit, retry_after)


def hit_address(request: HttpRequest) -> None:
    """Count an anonymous request; raise Throttled (429) over the limit."""
    verdict = hit(address_key(request), anon_limit())
    if not verdict.allowed:
        raise Throttled(wait=verdict.retry_after)


class RateLimit(BaseThrottle):
    """Ninja's throttle hook: per token when the request carries a valid one, else per address.

    One instance serves every thread, so the wait of the last refusal is kept
    per thread.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            verdict = hit(f"token:{token.pk}", token_limit())
        else:
            verdict = hit(address_key(request), anon_limit())
        self._local.wait = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return float(getattr(self._local, "wait", WINDOW_SECONDS))


class Forbidden(HttpError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the request acts as the token's user."""

    openapi_description = (
        "A personal API token, made at /api/tokens/ by a logged-in team member. "
        "Send it as `Authorization: Bearer <token>`."
    )

    def __call__(self, request: HttpRequest) -> Any:
        result = super().__call__(request)
        if result is None:
            # No Authorization header, or not a Bearer one.
            hit_address(request)
            raise AuthenticationError(401, "Send a valid API token: Authorization: Bearer <token>.")
        return result

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        token = token.strip()
        row = (
            ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
            if token
            else None
        )
        if row is None or row.revoked or not row.user.is_active:
            hit_address(request)
            message = (
                "This API token has been revoked."
                if row is not None and row.revoked
                else "Unknown API token."
            )
            raise AuthenticationError(401, message)
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            row.last_used_at = now
        return row


def token_of(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # pragma: no cover - auth runs first
        raise AuthenticationError()
    return token


def require_write(request: HttpRequest) -> ApiToken:
    token = token_of(request)
    if not token.can_write:
        raise Forbidden("This API token may only read; make a token with the write scope.")
    return token

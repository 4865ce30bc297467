"""Rate limits: per client address without a token, per token with one; 429 with Retry-After."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.test import Client

from safepassage.api import security
from safepassage.api.tests.helpers import get, token_for


@pytest.fixture(autouse=True)
def mid_window(monkeypatch):
    """Stop the limiter's clock in the middle of a window.

    The windows are fixed minutes: a test whose requests straddle a minute's end
    would start a fresh budget half-way and see 200 where it expects 429.
    """
    window = security.WINDOW_SECONDS
    middle = time.time() // window * window + window / 2
    monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: middle))


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json()["detail"]
    retry = int(response["Retry-After"])
    assert 1 <= retry <= security.WINDOW_SECONDS


def test_anonymous_requests_are_limited_per_address(db, settings):
    settings.API_ANON_PER_MINUTE = 3
    for _ in range(3):
        assert get("/api/missions").status_code == 200
    assert_throttled(get("/api/missions"))
    assert_throttled(get("/api/campaigns"))  # the whole API, not one endpoint
    # Another address has its own budget.
    assert get("/api/missions", REMOTE_ADDR="192.0.2.44").status_code == 200


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(db, settings):
    settings.API_ANON_PER_MINUTE = 1
    settings.TRUSTED_PROXY_COUNT = 0
    assert get("/api/missions", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert get("/api/missions", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1
    assert get("/api/missions", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code == 200
    assert get("/api/missions", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 200
    assert get("/api/missions", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 429


def test_tokens_have_their_own_budget(world, settings):
    settings.API_ANON_PER_MINUTE = 1
    settings.API_TOKEN_PER_MINUTE = 2
    first = token_for(world.users["organiser"])
    second = token_for(world.users["organiser"])
    for _ in range(2):
        assert get("/api/me", first).status_code == 200
    assert_throttled(get("/api/me", first))
    assert get("/api/me", second).status_code == 200
    # Token requests did not use the address's anonymous budget.
    assert get("/api/missions").status_code == 200
    assert get("/api/missions").status_code == 429


def test_failed_authentication_counts_against_the_address(db, settings):
    settings.API_ANON_PER_MINUTE = 2
    client = Client()
    for _ in range(2):
        response = client.get("/api/me", HTTP_AUTHORIZATION="Bearer sp_guess")
        assert response.status_code == 401
    assert_throttled(client.get("/api/me", HTTP_AUTHORIZATION="Bearer sp_guess"))
    assert_throttled(client.get("/api/me"))


def test_windows_are_counted_atomically_in_the_cache(db):
    verdicts = [security.hit("unit-test", 3, now=1_000_000.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 20  # 1,000,020 is the next minute boundary
    assert security.hit("unit-test", 3, now=1_000_020.0).allowed  # a new window

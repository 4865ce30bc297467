"""Fixtures of the API tests: the accounts tests' day of action, a fresh cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from safepassage.accounts.tests.world import World, build_world


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    """Rate-limit windows and cached counts must not leak from one test to the next."""
    cache.clear()
    settings.COUNT_CACHE_SECONDS = 0


@pytest.fixture
def world(petition: Any) -> World:
    return build_world(petition, sign=False)

"""The signing tests are about the demo campaign: its organiser is ``conftest.organiser``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def campaign(petition: Any) -> Any:
    return petition.campaign

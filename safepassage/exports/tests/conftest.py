"""The day of action of the accounts tests, plus signatures made directly in bulk."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.utils import timezone

from safepassage.accounts.tests.world import World, build_world
from safepassage.lib import crypto
from safepassage.signatures.models import Signature


@pytest.fixture
def world(petition: Any) -> World:
    return build_world(petition, sign=False)


def fake_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_signature(petition: Any, **fields: Any) -> Signature:
    """An unsaved, confirmed, counted signature; override any field."""
    now = timezone.now()
    values: dict[str, Any] = {
        "petition": petition,
        "status": Signature.Status.CONFIRMED,
        "first_name": "Min-jun",
        "last_name": "Park",
        "city": "Washington",
        "region": "US-DC",
        "country": "US",
        "publish_name": True,
        "contact": Signature.Contact.COUNT_ONLY,
        "email_hash": fake_hash(str(fields.get("first_name", "")) + str(fields)),
        "consent_version": "test",
        "consent_hash": fake_hash("consent"),
        "confirmed_at": now,
    }
    if "email" in fields:
        values["email_encrypted"] = crypto.encrypt(fields.pop("email"))
    values.update(fields)
    return Signature(**values)

"""Helpers of the API tests: signatures made directly, tokens, requests."""

from __future__ import annotations

import hashlib
from typing import Any

from django.test import Client
from django.utils import timezone

from personas import route
from safepassage.api.models import ApiToken
from safepassage.lib import crypto
from safepassage.signatures.models import Signature


def fake_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_signature(petition: Any, key: str, **fields: Any) -> Signature:
    """A saved, confirmed, counted signature (override any field); ``key`` makes its hash.

    With ``mission``: routed there, as the routing sweep would.
    """
    mission = fields.pop("mission", None)
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
        "email_hash": fake_hash(key),
        "consent_version": "test",
        "consent_hash": fake_hash("consent"),
        "confirmed_at": timezone.now(),
    }
    if "email" in fields:
        values["email_encrypted"] = crypto.encrypt(fields.pop("email"))
        values["contact"] = Signature.Contact.CONTACT
    if fields.get("status") == Signature.Status.PENDING:
        values["confirmed_at"] = None
    values.update(fields)
    signature = Signature.objects.create(**values)
    if mission is not None:
        route(signature, mission)
    return signature


def token_for(user: Any, scope: str = ApiToken.Scope.READ, name: str = "test") -> str:
    return ApiToken.issue(user, name, scope)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(path: str, token: str | None = None, **extra: Any) -> Any:
    return Client().get(path, headers=bearer(token) if token else None, **extra)


def post_json(path: str, data: Any, token: str | None = None) -> Any:
    headers = bearer(token) if token else None
    return Client().post(path, data, content_type="application/json", headers=headers)

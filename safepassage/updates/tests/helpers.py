"""Signatures, RSVPs and people made directly, as signing and confirming would leave them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from safepassage.lib import crypto
from safepassage.signatures.consent import CONSENT_VERSION
from safepassage.signatures.models import Signature
from safepassage.signatures.services import hash_email


def signer(
    petition: Any, email: str, contact: str, language: str = "en", **extra: Any
) -> Signature:
    confirmed = extra.pop("status", Signature.Status.CONFIRMED) == Signature.Status.CONFIRMED
    return Signature.objects.create(
        petition=petition,
        first_name="Min",
        last_name="Lee",
        city="Seoul",
        region="KR-11",
        country="KR",
        publish_name=True,
        contact=contact,
        email_hash=hash_email(email),
        email_encrypted=crypto.encrypt(email) if contact != Signature.Contact.COUNT_ONLY else "",
        language=language,
        consent_version=CONSENT_VERSION,
        consent_hash="0" * 64,
        status=Signature.Status.CONFIRMED if confirmed else Signature.Status.PENDING,
        confirmed_at=timezone.now() if confirmed else None,
        **extra,
    )

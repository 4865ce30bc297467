"""Links in mail that act on a signature.

A link token is an HMAC of the signature's random UUID under SECRET_KEY, so
the database alone (a leaked backup) cannot produce a working link, and the
same link can be mailed again without storing it.
"""

from __future__ import annotations

import uuid

from safepassage.lib import links

PURPOSES = ("confirm", "withdraw")


def link_token(purpose: str, signature_uuid: uuid.UUID | str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return links.make_token("safepassage.signatures", purpose, signature_uuid)


def check_link_token(purpose: str, signature_uuid: uuid.UUID | str, token: str) -> bool:
    return links.check_token("safepassage.signatures", purpose, signature_uuid, token)

"""Proof of work after ALTCHA's open protocol (version 1, SHA-256), without Django.

The server hands out a challenge::

    {"algorithm": "SHA-256", "challenge": hex(sha256(salt + str(number))),
     "maxnumber": N, "salt": "<random hex>?expires=<unix time>&",
     "signature": hex(hmac_sha256(key, challenge))}

keeping ``number`` (a random integer from 0 to N) to itself. The browser
tries 0, 1, 2, ... until the hash matches, and sends back the base64 of the
JSON object ``{"algorithm", "challenge", "number", "salt", "signature"}``.
Verifying costs the server one hash and one HMAC; it needs no memory of the
challenges it handed out, because the signature proves the challenge is its
own and the salt (covered by the hash) carries the expiry.

What it does not do: remember which solutions were already used. The caller
records each solved challenge once (``signatures.botcheck``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

ALGORITHM = "SHA-256"
_KEY_LABEL = b"safepassage.signatures.bot-challenge"


def derive_key(secret_key: str) -> bytes:
    """The challenges' HMAC key: derived from SECRET_KEY for this one purpose only."""
    return hmac.new(secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Solved:
    """A verified solution: its challenge (to record as used) and when it expires."""

    challenge: str
    expires: int


def sign(key: bytes, challenge: str) -> str:
    return hmac.new(key, challenge.encode("ascii"), hashlib.sha256).hexdigest()


def _hash(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


def create_challenge(
    key: bytes, max_number: int, lifetime_seconds: int, now: float | None = None
) -> dict[str, object]:
    """A new challenge as the JSON object the browser receives."""
    expires = int(now if now is not None else time.time()) + lifetime_seconds
    salt = f"{secrets.token_hex(12)}?expires={expires}&"
    challenge = _hash(salt, secrets.randbelow(max_number + 1))
    return {
        "algorithm": ALGORITHM,
        "challenge": challenge,
        "maxnumber": max_number,
        "salt": salt,
        "signature": sign(key, challenge),
    }


def solve(challenge: dict[str, object]) -> int | None:
    """Find the number, as the browser does (for tests and the benchmark)."""
    target = bytes.fromhex(str(challenge["challenge"]))
    max_number = challenge["maxnumber"]
    assert isinstance(max_number, int)
    salted = hashlib.sha256(str(challenge["salt"]).encode())
    for number in range(max_number + 1):
        attempt = salted.copy()
        attempt.update(str(number).encode())
        if attempt.digest() == target:
            return number
    return None


def payload(challenge: dict[str, object], number: int) -> str:
    """What the browser posts: the challenge with its number, as base64 of JSON."""
    fields = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")}
    return base64.b64encode(json.dumps({**fields, "number": number}).encode()).decode()


def _expires(salt: str) -> int | None:
    _, _, query = salt.partition("?")
    values = parse_qs(query).get("expires")
    if not values or not values[0].isdigit():
        return None
    return int(values[0])


def verify(encoded: str, key: bytes, now: float | None = None) -> Solved | None:
    """The solved challenge if ``encoded`` is a valid, unexpired solution; else None."""
    if not encoded or len(encoded) > 1000:
        return None
    try:
        data = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    algorithm, challenge = data.get("algorithm"), data.get("challenge")
    salt, signature, number = data.get("salt"), data.get("signature"), data.get("number")
    if (
        algorithm != ALGORITHM
        or not isinstance(challenge, str)
        or not isinstance(salt, str)
        or not isinstance(signature, str)
        or not isinstance(number, int)
        or isinstance(number, bool)
        or number < 0
        or not (challenge.isascii() and signature.isascii())
    ):
        return None
    expires = _expires(salt)
    if expires is None or expires < (now if now is not None else time.time()):
        return None
    if not hmac.compare_digest(_hash(salt, number), challenge):
        return None
    if not hmac.compare_digest(sign(key, challenge), signature):
        return None
    return Solved(challenge=challenge, expires=expires)

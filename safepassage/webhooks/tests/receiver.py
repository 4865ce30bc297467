"""A real HTTP server on 127.0.0.1, in a thread: the partner's system the webhooks are sent to.

The fixture ``receiver`` (conftest.py) checks every request's signature the
way docs/webhooks.md tells a partner to (HMAC-SHA256 of timestamp, ".", body
under the secret, compared in constant time) and answers with the next of
the statuses it was given (200 once they run out).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/safepassage"

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("x-safepassage-timestamp", "")
        given = headers.get("x-safepassage-signature", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return bool(self.secret) and hmac.compare_digest(given, "v1=" + expected)

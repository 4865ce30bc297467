"""Sending one signed request to an endpoint, and which addresses may be endpoints.

An endpoint is ``https://`` (docs/webhooks.md, "Where deliveries may go").
Plain ``http://`` only to ``127.0.0.1``, ``localhost`` or ``[::1]``, and only
with ``DEBUG`` or ``WEBHOOK_ALLOW_LOOPBACK`` (the test suite's own server).
The host name is resolved when each request is made and every address it
resolves to must be public (``ipaddress.is_global``): no loopback, private,
link-local (cloud metadata), shared or reserved address, so that an
organiser's endpoint cannot make the server call its own network (SSRF).
The connection then goes to the address that was checked, not to a second
lookup (no DNS rebinding between check and use). Redirects are not followed
(a 3xx is a failed attempt), each socket operation waits at most
``WEBHOOK_TIMEOUT_SECONDS``, and only the first ``RESPONSE_PREFIX``
characters of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from safepassage.webhooks.models import ERROR_LENGTH, RESPONSE_PREFIX

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The endpoint's address may not be called (not public, or not https)."""


@dataclass(frozen=True)
class Result:
    status_code: int | None
    duration_ms: int
    error: str = ""
    response_prefix: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def loopback_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False))


def _address_allowed(address: IPAddress) -> bool:
    if address.is_loopback:
        return loopback_allowed()
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return _address_allowed(mapped)
    return address.is_global and not address.is_multicast


def check_url(url: str) -> None:
    """Raise ValidationError unless ``url`` may be an endpoint (its address is checked again
    when sending: ``resolve``)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError(_("Enter a full address, beginning with https://."))
    if parts.username or parts.password:
        raise ValidationError(_("The address may not contain a user name or password."))
    if parts.scheme == "http":
        if not (host in LOOPBACK_NAMES and loopback_allowed()):
            raise ValidationError(_("The address must begin with https://."))
    elif parts.scheme != "https":
        raise ValidationError(_("The address must begin with https://."))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" and not loopback_allowed():
            raise ValidationError(_("The address must be reachable on the internet.")) from None
        return
    if not _address_allowed(literal):
        raise ValidationError(_("The address must be reachable on the internet."))


def resolve(host: str, port: int) -> str:
    """The address to connect to: every address the name has must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"cannot resolve {host}: {error}") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not _address_allowed(ipaddress.ip_address(address.split("%")[0])):
            raise Refused(f"{host} resolves to {address}, which is not a public address")
    if not addresses:
        raise Refused(f"cannot resolve {host}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Result:
    """POST ``body`` to ``url`` once; never raises for what the endpoint does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(url)
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(host, port)
    except (ValidationError, Refused, ValueError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return Result(None, took(), f"refused: {message}"[:ERROR_LENGTH])
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(host, port, address, timeout)
    else:
        connection = _PinnedHTTPConnection(host, port, address, timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        prefix = response.read(RESPONSE_PREFIX).decode("utf-8", errors="replace")
        problem = ""
        if 300 <= response.status < 400:
            problem = "redirect not followed"
        elif not 200 <= response.status < 300:
            problem = f"HTTP {response.status}"
        return Result(response.status, took(), problem, prefix[:RESPONSE_PREFIX])
    except (OSError, http.client.HTTPException) as error:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return Result(None, took(), text[:ERROR_LENGTH])
    finally:
        connection.close()

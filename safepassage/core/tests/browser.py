"""Signing in on the team login page in a real browser, second factor included.

Browser tests log in as a person does: password on /team/login/, then the six
digits an authenticator app shows, typed on the second-factor page. The codes
come from django-otp's own TOTP generator fed with the device's key, as the
app on a phone would compute them.

Playwright runs an event loop in the test's thread, during which Django refuses
database calls, so an Authenticator holds a copy of the key and never touches
the database: make it (Authenticator.of(device)) before the browser starts.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django_otp.oath import TOTP

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import Page


@dataclass
class Authenticator:
    """An authenticator app holding one account's TOTP key (drift 0, as a phone has none)."""

    key: bytes
    step: int = 30
    t0: int = 0
    digits: int = 6
    # The last time step whose code was typed: the server accepts each code once.
    last_step: int = -1

    @classmethod
    def of(cls, device: TOTPDevice) -> Authenticator:
        """The app set up with this device's key, aware of the last code the server accepted."""
        return cls(
            key=device.bin_key,
            step=device.step,
            t0=device.t0,
            digits=device.digits,
            last_step=device.last_t,
        )

    @classmethod
    def from_key(cls, base32_key: str) -> Authenticator:
        """The app set up by typing the key shown on the enrolment page."""
        return cls(key=base64.b32decode("".join(base32_key.split()).upper()))

    def code(self) -> str:
        """The code on the screen now; like a person, wait for a new one if this one was used."""
        totp = TOTP(self.key, self.step, self.t0, self.digits)
        while totp.t() <= self.last_step:
            time.sleep(0.25)
        self.last_step = totp.t()
        return f"{totp.token():0{self.digits}d}"


def enter_password(page: Page, base_url: str, username: str, password: str, next_path: str) -> None:
    """Type the name and password on /team/login/, asking to go to ``next_path`` afterwards."""
    page.goto(f"{base_url}/team/login/?{urlencode({'next': next_path})}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


def log_in(
    page: Page,
    base_url: str,
    username: str,
    password: str,
    next_path: str,
    authenticator: Authenticator | None,
) -> None:
    """Log in on /team/login/ and, given an authenticator, pass the second-factor page.

    Returns once the browser has arrived at ``next_path``.
    """
    enter_password(page, base_url, username, password, next_path)
    if authenticator is not None:
        page.wait_for_url(re.compile(r"/team/2fa/(\?|$)"))
        page.fill("#id_code", authenticator.code())
        page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))

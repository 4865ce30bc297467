"""An organiser sets up a second factor in a real browser, and uses it.

The authenticator app is played by django-otp's TOTP generator fed with the key
the page shows; the passkey by Chromium's virtual authenticator (DevTools
protocol), which answers navigator.credentials as a phone or security key would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from conftest import LiveApp, require
from personas import PASSWORD
from safepassage.accounts.models import AuthEvent
from safepassage.accounts.tests.test_sign_in import organiser
from safepassage.core.tests.browser import Authenticator, enter_password, log_in
from safepassage.core.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

SIGNATURES = "/admin/signatures/signature/"


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def screenshot(page: Any, name: str) -> None:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_an_organiser_enrols_an_authenticator_app_and_keeps_recovery_codes(
    live_app: LiveApp, petition: Any
) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    user = organiser(petition)
    username = user.username

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(locale="en-GB")
            enter_password(page, live_app.url, username, PASSWORD, SIGNATURES)
            # No device yet: the password leads to the enrolment page, nowhere else.
            page.wait_for_url(re.compile(r"/team/2fa/setup/\?"))
            assert parse_qs(urlsplit(page.url).query)["next"] == [SIGNATURES]
            page.goto(f"{live_app.url}{SIGNATURES}")
            page.wait_for_url(re.compile(r"/team/2fa/setup/\?"))
            screenshot(page, "second-factor-setup")

            key = page.locator("code.secret").inner_text()
            uri = page.get_by_role("link", name="Open it in your authenticator app")
            otpauth = uri.get_attribute("href") or ""
            assert otpauth.startswith("otpauth://totp/")
            assert parse_qs(urlsplit(otpauth).query)["secret"] == [key]
            assert page.locator(".qr svg").is_visible()

            app = Authenticator.from_key(key)
            page.fill("#id_code", app.code())
            page.get_by_role("button", name="Add the app").click()
            page.wait_for_selector("h1:has-text('Recovery codes')")
            codes = page.locator(".recovery-codes code").all_inner_texts()
            screenshot(page, "second-factor-recovery-codes")
            page.get_by_role("link", name="I have kept them: continue").click()
            page.wait_for_url(re.compile(re.escape(SIGNATURES) + r"$"))
            assert page.locator("#changelist").is_visible()

            # Another day, another browser: the phone is lost, a recovery code lets her in.
            page = browser.new_context(locale="en-GB").new_page()
            enter_password(page, live_app.url, username, PASSWORD, SIGNATURES)
            page.wait_for_url(re.compile(r"/team/2fa/\?"))
            page.fill("#id_code", codes[0])
            page.click("button[type=submit].primary")
            page.wait_for_url(re.compile(re.escape(SIGNATURES) + r"$"))
            assert page.locator("#changelist").is_visible()

            # And the app, on a third day.
            page = browser.new_context(locale="en-GB").new_page()
            log_in(page, live_app.url, username, PASSWORD, SIGNATURES, app)
            assert page.locator("#changelist").is_visible()
        finally:
            browser.close()

    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert Authenticator.of(device).key == app.key
    assert len(codes) == 10 and len(set(codes)) == 10
    sheet = StaticDevice.objects.get(user=user)
    left = set(sheet.token_set.values_list("token", flat=True))
    assert left == set(codes[1:])
    kinds = list(AuthEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds.count(AuthEvent.Kind.MFA_ENROLLED) == 2  # the app, the recovery codes
    assert AuthEvent.Kind.RECOVERY_CODE in kinds
    assert AuthEvent.Kind.VERIFIED in kinds


@pytest.fixture
def live_app_host() -> str:
    # A passkey belongs to a domain (OTP_WEBAUTHN_RP_ID, SITE_URL's host): not an IP address.
    return "localhost"


def test_an_organiser_adds_a_passkey_and_signs_in_with_it(live_app: LiveApp, petition: Any) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    user = organiser(petition, "pia-passkey")
    username = user.username

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(locale="en-GB")
            # A platform authenticator that verifies its user (fingerprint, PIN) and says yes.
            devtools = page.context.new_cdp_session(page)
            devtools.send("WebAuthn.enable")
            authenticator = devtools.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                        "automaticPresenceSimulation": True,
                    }
                },
            )["authenticatorId"]

            enter_password(page, live_app.url, username, PASSWORD, SIGNATURES)
            page.wait_for_url(re.compile(r"/team/2fa/setup/\?"))
            page.get_by_role("button", name="Add a passkey").click()
            # The page shows itself again with the new passkey, recovery codes and the way on.
            page.locator("ul.devices li", has_text="passkey").wait_for()
            screenshot(page, "second-factor-passkey-added")
            stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
            [credential] = stored["credentials"]
            assert credential["rpId"] == "localhost"
            page.get_by_role("button", name="Make new recovery codes").click()
            page.wait_for_selector("h1:has-text('Recovery codes')")
            codes = page.locator(".recovery-codes code").all_inner_texts()
            page.get_by_role("link", name="I have kept them: continue").click()
            page.wait_for_url(re.compile(re.escape(SIGNATURES) + r"$"))
            assert page.locator("#changelist").is_visible()

            # Log out; the password alone now stops at the second-factor step.
            page.get_by_role("button", name="Log out").click()
            enter_password(page, live_app.url, username, PASSWORD, SIGNATURES)
            page.wait_for_url(re.compile(r"/team/2fa/\?"))
            page.goto(f"{live_app.url}{SIGNATURES}")
            page.wait_for_url(re.compile(r"/team/2fa/\?"))
            page.get_by_role("button", name="Use a passkey").click()
            page.wait_for_url(re.compile(re.escape(SIGNATURES) + r"$"))
            assert page.locator("#changelist").is_visible()
        finally:
            browser.close()

    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.confirmed
    sheet = StaticDevice.objects.get(user=user)
    assert set(sheet.token_set.values_list("token", flat=True)) == set(codes)
    assert len(codes) == 10
    events = AuthEvent.objects.filter(user=user)
    assert events.filter(kind=AuthEvent.Kind.MFA_ENROLLED, detail="passkey").exists()
    assert events.filter(kind=AuthEvent.Kind.VERIFIED, detail="passkey").exists()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

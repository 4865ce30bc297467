"""The main pages run in a real browser under the Content-Security-Policy without a violation.

The header test (test_headers.py) reads the markup; this one lets Chromium judge it, scripts
and all: every violation it reports (a console message or a securitypolicyviolation event)
fails the test, as does a Permissions-Policy feature the browser does not know.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from conftest import LiveApp, require, totp_device
from safepassage.accounts.models import Role
from safepassage.accounts.tests.world import mission as world_mission
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.core.tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from safepassage.directory.models import Mission

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _is_violation(text: str) -> bool:
    return any(
        marker in text
        for marker in ("Content Security Policy", "Content-Security-Policy", "CSP violation")
    ) or ("Permissions-Policy" in text and "Unrecognized feature" in text)


def pages(petition: Any) -> list[str]:
    campaign = petition.campaign
    # A transactional test starts with empty tables: the bundled directory is not there.
    mission = Mission.objects.order_by("pk").first() or world_mission(
        "test-emb-de", "embassy", "Embassy of the PRC in Germany", "Berlin"
    )
    return [
        f"/p/{petition.slug}/",
        f"/c/{campaign.slug}/",
        "/missions/CN/",
        "/missions/CN/find/?country=DE&city=Berlin",
        f"/events/{campaign.slug}/",
        f"/c/{campaign.slug}/report/",
        "/api/docs",
        f"/team/{campaign.slug}/dashboard/",
        f"/team/{campaign.slug}/report/",
        "/admin/",
        "/admin/signatures/signature/",
        "/admin/directory/mission/",
        f"/admin/directory/mission/{mission.pk}/history/",
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        "/admin/outbox/message/",
        # The second factor's own page, with the passkey scripts.
        "/team/2fa/setup/",
    ]


def test_the_main_pages_cause_no_policy_violation(live_app: LiveApp, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    password = "a-long-test-password-4821"
    organiser = get_user_model().objects.create_superuser("csp-organiser", password=password)
    Role.objects.create(user=organiser, campaign=petition.campaign, kind=Role.Kind.ORGANISER)
    authenticator = Authenticator.of(totp_device(organiser))
    urls = pages(petition)

    from playwright.sync_api import ConsoleMessage, sync_playwright

    seen: list[str] = []
    visited: list[tuple[str, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for persona in ("anonymous", "organiser"):
                context = browser.new_context(locale="en-GB")
                context.add_init_script(REPORT_VIOLATIONS)
                page = context.new_page()
                current = [""]

                def record(message: ConsoleMessage, where: list[str] = current) -> None:
                    if _is_violation(message.text):
                        seen.append(f"{where[0]}: {message.text}")

                page.on("console", record)
                if persona == "organiser":
                    # The login and second-factor pages are judged too.
                    current[0] = f"{persona} login"
                    log_in(
                        page, live_app.url, organiser.username, password, "/team/", authenticator
                    )
                for url in urls:
                    current[0] = f"{persona} {url}"
                    page.goto(f"{live_app.url}{url}", wait_until="load")
                    page.wait_for_timeout(300)  # late scripts (the counter's first poll)
                    visited.append((current[0], page.url))
                context.close()
        finally:
            browser.close()
    assert seen == [], "\n".join(seen)
    # The organiser really reached the admin's change list, not only a login page.
    changelist = f"{live_app.url}/admin/signatures/signature/"
    assert ("organiser /admin/signatures/signature/", changelist) in visited, visited
    assert ("organiser /team/2fa/setup/", f"{live_app.url}/team/2fa/setup/") in visited, visited

"""The campaign page in a real browser, served as in production."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from conftest import LiveApp, require
from safepassage.directory.tests.test_routing import confirmed
from safepassage.reports.stats import refresh_stats

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_counter_goes_up_and_the_sign_link_leads_to_the_form(live_app: LiveApp, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import expect, sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    confirmed(petition, 1)
    confirmed(petition, 2, city="Seoul", region="KR-11", country="KR")
    refresh_stats(petition.campaign)
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 1100, "height": 900})
            page.goto(f"{live_app.url}/c/{petition.campaign.slug}/")
            counter = page.locator("#signature-count")
            expect(counter).to_have_text("2")
            svg = page.locator("figure.world-map svg").first
            assert svg.is_visible()
            box = svg.bounding_box()
            assert box and box["width"] > 500
            page.screenshot(path=str(folder / "campaign-page.png"), full_page=True)
            # A new signature reaches the page without reloading it (sign.js polls count.json).
            # (The ORM refuses to run in Playwright's event loop: another thread stores it.)
            with ThreadPoolExecutor(1) as pool:
                pool.submit(confirmed, petition, 3, country="DE", region="DE-BE").result()
            expect(counter).to_have_text("3", timeout=15_000)
            page.click("a.sign-button")
            page.wait_for_url(f"**/p/{petition.slug}/")
            assert page.locator("#sign-form").is_visible()
        finally:
            browser.close()

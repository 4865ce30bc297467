"""A signer confirms, opens the personal letter tool, edits the letter and downloads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from conftest import LiveApp, require
from safepassage.letters.tests.test_personal import make_mission, make_signature
from safepassage.signatures.tokens import link_token

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


def test_a_signer_writes_and_downloads_their_own_letter(live_app: LiveApp, petition, tmp_path):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    # Playwright runs an event loop in this thread, during which Django refuses
    # database calls: everything the test needs is set up first.
    berlin = make_mission(
        "cn-e-de",
        "embassy",
        "DE",
        "Berlin",
        52.51,
        13.42,
        name="Embassy of the People's Republic of China in Germany",
        postal_address="Märkisches Ufer 54\n10179 Berlin",
        email="embassy-de@mission.example",
    )
    signature = make_signature(petition, status="pending", first_name="Seo-yeon", last_name="Lee")
    confirm_url = live_app.url + reverse(
        "signatures:confirm", args=[signature.uuid, link_token("confirm", signature.uuid)]
    )

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(
                locale="en-GB", viewport={"width": 1100, "height": 900}, accept_downloads=True
            )
            page.goto(confirm_url)
            page.click("#confirm-button")
            page.wait_for_selector("text=Your signature is confirmed")
            page.click("#personal-letter a")
            page.wait_for_url(re.compile(r".*/s/[0-9a-f-]{36}/letter/[0-9a-f]{40}/$"))

            assert "Märkisches Ufer 54" in page.locator("#recipient-address").inner_text()
            assert page.input_value("#id_signer_name") == "Seo-yeon Lee"
            assert page.input_value("#id_body").startswith("Your Excellency,")
            mailto = page.get_attribute("#mailto-link", "href") or ""
            assert mailto.startswith("mailto:embassy-de@mission.example?subject=")
            page.screenshot(path=str(folder / "personal-letter.png"), full_page=True)

            # The picker searches, without any script of ours: a place typed as
            # people write it finds its mission, and the letter is filled in for it.
            page.fill("#id_q", "Berlin, Germany")
            page.click("#search-button")
            page.wait_for_selector("#search-result")
            page.select_option("#id_mission", str(berlin.pk))
            page.click("#mission-button")
            page.wait_for_selector("#recipient-address")
            assert "Märkisches Ufer 54" in page.locator("#recipient-address").inner_text()
            assert "My name is Seo-yeon Lee." in page.input_value("#id_body")

            page.fill("#id_signer_name", "Seo-yeon Lee (Berlin)")
            page.fill(
                "#id_body",
                "Your Excellency,\n\nI live in {{ mission_city }} and I ask you in my own "
                "words: please let North Korean refugees reach safety.",
            )
            with page.expect_download() as download_info:
                page.click("#pdf-button")
            download = download_info.value
            assert download.suggested_filename == (
                "letter-embassy-of-the-peoples-republic-of-china-in-germany.pdf"
            )
            target = tmp_path / download.suggested_filename
            download.save_as(target)
        finally:
            browser.close()

    reader = PdfReader(target)
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    assert "I live in Berlin and I ask you in my own words" in text
    assert "Embassy of the People's Republic of China in Germany" in text
    assert "Märkisches Ufer 54" in text
    assert "Seo-yeon Lee (Berlin)" in text
    assert "@" not in text
    assert berlin.email not in str(reader.metadata)

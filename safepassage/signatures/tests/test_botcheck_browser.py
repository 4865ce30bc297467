"""With the bot challenge on, a person in a real browser signs without being held."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import LiveApp, require
from safepassage.campaigns.models import Petition
from safepassage.signatures.models import Signature, UsedChallenge

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def challenge_on(petition):
    Petition.objects.filter(pk=petition.pk).update(bot_challenge=Petition.BotChallenge.ALWAYS)


@pytest.fixture
def page(challenge_on, live_app: LiveApp, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser.new_page(locale="en-GB")
        finally:
            browser.close()


def outside_the_event_loop(query):
    # Playwright's loop runs in this thread, where Django refuses database calls.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(query).result()


def test_the_browser_solves_the_challenge_and_the_signature_is_not_held(page, live_app, petition):
    page.goto(f"{live_app.url}{petition.get_absolute_url()}")
    page.fill("#id_first_name", "Seo-yeon")
    page.fill("#id_last_name", "Choi")
    page.fill("#id_email", "seo-yeon.choi@example.org")
    page.fill("#id_city", "Incheon")
    page.select_option("#id_country", "KR")
    page.wait_for_selector("select#id_region option[value='KR-28']", state="attached")
    page.select_option("#id_region", "KR-28")
    page.check("input[name=contact][value=count]")
    page.check("input[name=publish_name][value=yes]")
    started = time.monotonic()
    # Polled from here: wait_for_function would evaluate a string inside the page, which its
    # Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    solution = page.locator("#pow-solution")
    while solution.input_value() == "" and time.monotonic() - started < 20:
        time.sleep(0.05)
    assert solution.input_value() != "", "the page did not solve its challenge within 20 s"
    solving = time.monotonic() - started
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/thanks/$"))

    def stored():
        return list(Signature.objects.values_list("review_reason", flat=True)), (
            UsedChallenge.objects.count()
        )

    reasons, used = outside_the_event_loop(stored)
    assert reasons == [""], (reasons, f"solved in {solving:.2f} s")
    assert used == 1
    [mail] = live_app.mailbox.wait_for(1)
    assert mail["To"] == "seo-yeon.choi@example.org"

"""A person signs in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from conftest import LiveApp, mail_text, require

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(live_app: LiveApp, petition):
    # Playwright runs an event loop in this thread, during which Django
    # refuses database calls: everything the test needs is set up first.
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page(locale="en-GB")
        finally:
            browser.close()


def screenshot(page, name: str) -> None:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def counter(page) -> int:
    return int(re.sub(r"\D", "", page.locator("#signature-count").inner_text()))


def test_a_person_signs_confirms_by_mail_and_sees_the_count_rise(page, live_app, petition):
    page.goto(f"{live_app.url}{petition.get_absolute_url()}")
    assert "Let North Korean refugees in China reach safety" in page.title()
    before = counter(page)

    page.fill("#id_first_name", "Min-jun")
    page.fill("#id_last_name", "Park")
    page.fill("#id_email", "min-jun.park@example.org")
    page.fill("#id_city", "Busan")
    page.select_option("#id_country", "KR")
    # The script replaces the free-text region with the country's subdivisions.
    page.wait_for_selector("select#id_region option[value='KR-26']", state="attached")
    page.select_option("#id_region", "KR-26")
    page.check("input[name=contact][value=count]")
    page.check("input[name=publish_name][value=yes]")
    screenshot(page, "sign-filled")
    page.click("button[type=submit].primary")

    page.wait_for_url(re.compile(r".*/thanks/$"))
    assert "Please check your e-mail" in page.content()
    screenshot(page, "thanks")

    [mail] = live_app.mailbox.wait_for(1)
    assert mail["To"] == "min-jun.park@example.org"
    link = re.search(r"http://\S+/confirm/[0-9a-f]{40}/", mail_text(mail))
    assert link, mail_text(mail)

    page.goto(link.group(0))
    assert page.locator("#confirm-button").is_visible()
    page.goto(f"{live_app.url}{petition.get_absolute_url()}")
    assert counter(page) == before  # opening the link confirmed nothing

    page.goto(link.group(0))
    page.click("#confirm-button")
    page.wait_for_selector("text=Your signature is confirmed")
    assert counter(page) == before + 1
    screenshot(page, "confirmed")

    page.goto(f"{live_app.url}{petition.get_absolute_url()}")
    assert counter(page) == before + 1


def test_errors_appear_beside_the_fields_and_nothing_typed_is_lost(page, live_app, petition):
    page.goto(f"{live_app.url}{petition.get_absolute_url()}")
    page.fill("#id_first_name", "Sora")
    page.fill("#id_email", "sora@@example")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".error")
    assert page.input_value("#id_first_name") == "Sora"
    assert page.input_value("#id_email") == "sora@@example"
    assert page.locator("#id_last_name_error").inner_text() == "Please enter your last name."
    assert "does not look like an e-mail address" in page.locator("#id_email_error").inner_text()
    screenshot(page, "errors")

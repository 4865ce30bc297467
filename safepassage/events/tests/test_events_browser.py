"""A person RSVPs in a real browser, confirms from the mail, and sees the count change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from conftest import LiveApp, mail_text, require
from safepassage.events.models import Event
from safepassage.events.tests.test_events import make_event, soon

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


def count(page) -> int:
    return int(page.locator("#rsvp-count").inner_text())


def test_a_person_rsvps_confirms_by_mail_and_sees_the_count_change(live_app: LiveApp, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    # Playwright runs an event loop in this thread, during which Django refuses
    # database calls: everything the test needs is set up first.
    event = make_event(
        petition.campaign,
        title="Candlelight vigil in Washington",
        starts_at=soon(),
        ends_at=None,
        capacity=40,
        address_visibility=Event.AddressVisibility.RSVP,
        venue="Church hall",
        address="42 Quiet Road",
    )
    event_url = f"{live_app.url}/e/{event.uuid}/"
    list_url = f"{live_app.url}/events/{petition.campaign.slug}/"

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 1100, "height": 900})
            page.goto(list_url)
            assert page.locator("figure.world-map svg").is_visible()
            page.screenshot(path=str(folder / "events-list.png"), full_page=True)
            page.click("a.event-title:has-text('Candlelight vigil in Washington')")
            page.wait_for_url(event_url)
            assert count(page) == 0
            assert "42 Quiet Road" not in page.content()

            page.fill("#id_name", "Min-jun Park")
            page.fill("#id_email", "min-jun.park@example.org")
            page.fill("#id_people", "3")
            page.check("input[name=consent][value=only]")
            page.screenshot(path=str(folder / "rsvp-filled.png"), full_page=True)
            page.click("#rsvp-form button[type=submit]")
            page.wait_for_url(re.compile(r".*/rsvp/thanks/(#rsvp)?$"))
            assert "Please check your e-mail" in page.content()

            [mail] = live_app.mailbox.wait_for(1)
            assert mail["To"] == "min-jun.park@example.org"
            link = re.search(r"http://\S+/r/[0-9a-f-]{36}/confirm/[0-9a-f]{40}/", mail_text(mail))
            assert link, mail_text(mail)

            page.goto(link.group(0))
            assert page.locator("#confirm-button").is_visible()
            page.goto(event_url)
            assert count(page) == 0  # opening the link confirmed nothing

            page.goto(link.group(0))
            page.click("#confirm-button")
            page.wait_for_selector("text=Your RSVP is confirmed")
            assert "42 Quiet Road" in page.locator("#rsvp-address").inner_text()
            page.screenshot(path=str(folder / "rsvp-confirmed.png"), full_page=True)

            page.goto(event_url)
            assert count(page) == 3
            assert "37 places left" in page.locator("#capacity-left").inner_text()
            assert "Min-jun" not in page.content()
            page.screenshot(path=str(folder / "event-page.png"), full_page=True)
        finally:
            browser.close()

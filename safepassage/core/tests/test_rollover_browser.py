"""An organiser starts next year's campaign from the team pages in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import LiveApp, require, totp_device
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign, Petition
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.events.demo import load_demo_events
from safepassage.events.models import Event
from safepassage.letters.models import LetterVersion

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a-long-rollover-password-4821"


def test_an_organiser_starts_next_year_from_the_team_pages(
    live_app: LiveApp, petition: Petition, settings: Any
) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from django.contrib.auth import get_user_model

    old = petition.campaign
    load_demo_events(old)
    olga = get_user_model().objects.create_user("olga", "olga@team.example", PASSWORD)
    Role.objects.create(user=olga, campaign=old, kind=Role.Kind.ORGANISER)
    app = Authenticator.of(totp_device(olga))
    events = Event.objects.filter(campaign=old).count()
    assert events == 4

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 1200, "height": 1000})
            log_in(page, live_app.url, "olga", PASSWORD, "/team/", app)
            page.get_by_role("link", name="Start next year's campaign").click()
            page.wait_for_url(re.compile(rf"/team/{old.slug}/next-year/$"))
            assert page.locator("#id_slug").input_value() == "save-north-korean-refugees-day-2027"
            assert page.locator("#id_day_of_action").input_value() == "2027-09-24"
            assert "Never copied:" in page.content()
            page.fill("#id_day_of_action", "2027-09-23")
            page.screenshot(path=str(folder / "next-year.png"), full_page=True)
            page.get_by_role("button", name="Start next year's campaign").click()
            page.wait_for_url(re.compile(r"/team/save-north-korean-refugees-day-2027/dashboard/$"))
            assert "is ready as a draft" in page.content()
            assert page.locator(".team-event .status-draft").count() == events
        finally:
            browser.close()

    new = Campaign.objects.get(slug="save-north-korean-refugees-day-2027")
    assert (new.status, new.day_of_action.isoformat()) == ("draft", "2027-09-23")
    assert LetterVersion.objects.get(letter__campaign=new).status == "draft"
    old.refresh_from_db()
    assert old.status == Campaign.Status.ARCHIVED

"""A Russia campaign is set up and opened from the admin alone, and a person signs it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from conftest import LiveApp, mail_text, require, totp_device
from safepassage.campaigns.models import Campaign
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.directory.models import Mission
from safepassage.signatures.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a-long-test-password-7310"
SLUG = "refugees-russia-2027"


def test_a_russia_campaign_is_set_up_and_opened_from_the_admin_alone(
    live_app: LiveApp, settings: Any
) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    root = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    app = Authenticator.of(totp_device(root))
    admin = f"{live_app.url}/admin"

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1000})
            page = context.new_page()
            log_in(page, live_app.url, "root", PASSWORD, "/admin/", app)

            # 1. The campaign, with its petition, as a draft.
            page.goto(f"{admin}/campaigns/campaign/add/")
            page.fill("#id_title", "Refugees' Day, Russia")
            page.fill("#id_slug", SLUG)
            page.fill("#id_year", "2027")
            page.fill("#id_day_of_action", "2027-09-24")
            page.fill("#id_target_person", "The President")
            page.fill("#id_target_title", "President of the Russian Federation")
            page.fill("#id_target_government", "RU")
            page.click("#petitions-group .add-row a")
            page.fill("#id_petitions-0-slug", SLUG)
            page.click("input[name=_continue]")
            page.wait_for_selector("#opening-problems")
            problems = page.locator("#opening-problems").inner_text()
            assert "no text in its default language" in problems
            assert "no open mission of Russian Federation (RU)" in problems

            # 2. Opening now is refused, saying why.
            page.select_option("#id_status", "open")
            page.click("input[name=_continue]")
            errors = page.locator(".errorlist").first.inner_text()
            assert "no open mission of Russian Federation (RU)" in errors, errors
            page.screenshot(path=str(folder / "campaign-cannot-open.png"), full_page=True)

            # 3. The bundled directory of Russia.
            page.goto(f"{admin}/directory/mission/bundled/?state=RU")
            assert page.locator("#id_sending_state").input_value() == "RU"
            page.click("#bundled-form input[type=submit]")
            page.wait_for_selector(".import-summary")
            summary = page.locator(".import-summary").first.inner_text()
            assert re.search(r"[1-9]\d+ created", summary), summary
            page.screenshot(path=str(folder / "bundled-directory-loaded.png"), full_page=True)

            # 4. The petition's text in its default language.
            page.goto(f"{admin}/campaigns/petition/")
            page.click(f"a:text-is('{SLUG}')")
            page.click("#texts-group .add-row a")
            page.select_option("#id_texts-0-language", "en")
            page.fill("#id_texts-0-title", "Let refugees reach safety")
            page.fill("#id_texts-0-body", "We ask the President to stop forced returns.")
            page.click("input[name=_save]")
            page.wait_for_selector(".messagelist .success")

            # 5. Now it opens.
            page.goto(f"{admin}/campaigns/campaign/")
            page.click('a:text-is("Refugees\' Day, Russia")')
            page.locator("#opening-ready").wait_for(state="visible", timeout=15000)
            page.select_option("#id_status", "open")
            page.click("input[name=_save]")
            page.wait_for_selector(".messagelist .success")
            context.close()

            # 6. A person signs and confirms.
            signer = browser.new_page(locale="en-GB")
            signer.goto(f"{live_app.url}/p/{SLUG}/")
            assert "Let refugees reach safety" in signer.title()
            signer.fill("#id_first_name", "Anna")
            signer.fill("#id_last_name", "Petrova")
            signer.fill("#id_email", "anna.petrova@example.org")
            signer.fill("#id_city", "Berlin")
            signer.select_option("#id_country", "DE")
            signer.wait_for_selector("select#id_region option[value='DE-BE']", state="attached")
            signer.select_option("#id_region", "DE-BE")
            signer.check("input[name=contact][value=count]")
            signer.check("input[name=publish_name][value=yes]")
            signer.click("button[type=submit].primary")
            signer.wait_for_url(re.compile(r".*/thanks/$"))
            [mail] = live_app.mailbox.wait_for(1)
            link = re.search(r"http://\S+/confirm/[0-9a-f]{40}/", mail_text(mail))
            assert link, mail_text(mail)
            signer.goto(link.group(0))
            signer.click("#confirm-button")
            signer.wait_for_selector("text=Your signature is confirmed")
        finally:
            browser.close()

    campaign = Campaign.objects.get(petitions__slug=SLUG)
    assert campaign.status == Campaign.Status.OPEN
    assert campaign.target_government == "RU"
    assert Mission.objects.of("RU").open().count() > 100
    assert Mission.objects.of("RU").first().history.get().history_user == root  # type: ignore[union-attr]
    signature = Signature.objects.get(petition__campaign=campaign)
    assert signature.status == Signature.Status.CONFIRMED

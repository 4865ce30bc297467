"""Issue 24's "done when", in a real browser against the application as it runs.

A coordinator proposes an address with a source URL and a photo from their
dashboard; the organiser accepts two fields and rejects one; the mission's
record shows the new values with their provenance, the public finder shows
them, the proposer is told by mail, and the history says who did what.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image

from conftest import LiveApp, mail_text, require, totp_device
from personas import PASSWORD, coordinator_of, make_campaign, make_mission, organiser_of
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.directory.models import Mission
from safepassage.directory.proposals import Proposal

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ADDRESS = "1 East Erie Street, Chicago, IL 60611"


def test_a_correction_from_proposal_to_the_public_finder(live_app: LiveApp) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    campaign = make_campaign()
    mission = make_mission(
        "cn-cg-chicago", "consulate_general", "US", "Chicago", name="Consulate of China in Chicago"
    )
    cora = coordinator_of(campaign, "cora", "US", "Chicago")
    olga = organiser_of(campaign)
    cora_app = Authenticator.of(totp_device(cora))
    olga_app = Authenticator.of(totp_device(olga))
    photo = Path(settings.DATA_DIR) / "hdir-photo.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (32, 24), "navy").save(photo, "JPEG", exif=exif)
    dashboard = f"/team/{campaign.slug}/dashboard/"
    queue = f"/team/{campaign.slug}/directory/proposals/"

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 1000})
            page = context.new_page()
            log_in(page, live_app.url, "cora", PASSWORD, dashboard, cora_app)
            section = page.locator("#directory")
            assert "address missing" in section.inner_text()
            section.get_by_role("link", name="propose a correction").click()
            # The offline map: a click fills in the coordinates.
            page.locator("svg.area-map").click()
            assert "," in page.input_value("#id_value_coordinates")
            page.fill("#id_value_coordinates", "")
            page.fill("#id_value_postal_address", ADDRESS)
            page.fill("#id_value_postcode", "60611")
            page.fill("#id_value_phone", "+1 000 000")
            page.check("input[name=evidence][value=url]")
            page.fill("#id_source_url", "https://www.example.org/chicago/contact")
            page.fill("#id_source_date", "2026-11-02")
            page.set_input_files("#id_photo", str(photo))
            page.get_by_role("button", name="Send the proposal").click()
            page.wait_for_selector("text=the organisers will check your proposal")
            context.close()

            context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 1000})
            page = context.new_page()
            log_in(page, live_app.url, "olga", PASSWORD, queue, olga_app)
            page.locator("table.proposal-queue a").first.click()
            assert "cora" in page.inner_text("body")
            diff = page.locator("table.proposal-diff")
            assert ADDRESS in diff.inner_text()
            page.check("#diff-postal_address input[name=accept]")
            page.check("#diff-postcode input[name=accept]")
            page.fill("#id_reason", "This number does not answer.")
            page.get_by_role("button", name="Accept the ticked fields, reject the others").click()
            page.wait_for_url(f"{live_app.url}{queue}")
            page.goto(f"{live_app.url}/team/{campaign.slug}/directory/{mission.pk}/")
            address_row = page.locator("#field-postal_address").inner_text()
            assert ADDRESS in address_row and "verified by olga on" in address_row
            assert "https://www.example.org/chicago/contact" in address_row
            assert "unverified" in page.locator("#field-phone").inner_text()
            page.goto(f"{live_app.url}/missions/CN/")
            assert "1 East Erie Street" in page.inner_text("body")
            chicago = page.locator("article.mission", has_text="1 East Erie Street")
            assert "Address confirmed in" in chicago.inner_text()  # today, by the organiser
            assert "+1 000 000" not in page.inner_text("body")
            # The finder, as a supporter uses it: the new address with its date.
            page.goto(f"{live_app.url}/missions/CN/")
            page.fill("form.finder input[name=city]", "Chicago, IL")
            page.locator("form.finder").get_by_role("button").click()
            page.wait_for_url("**/missions/CN/find/**")
            found = page.inner_text("main")
            assert "1 East Erie Street" in found and "Address confirmed in" in found
            assert "+1 000 000" not in found
            context.close()
        finally:
            browser.close()

    mission = Mission.objects.get(pk=mission.pk)
    assert (mission.postal_address, mission.postcode, mission.phone) == (ADDRESS, "60611", "")
    proposal = Proposal.objects.get()
    assert proposal.proposer == cora and proposal.decided_by == olga
    assert b"PhoneMaker" not in proposal.photo.read()
    decisions = dict(proposal.values.values_list("field", "decision"))
    assert decisions == {"postal_address": "accepted", "postcode": "accepted", "phone": "rejected"}
    history: Any = mission.history.latest()
    assert history.history_user == olga and history.postal_address == ADDRESS
    assert "proposal #" in history.history_change_reason
    assert not mission.history.filter(history_user=cora).exists()
    mails = [m for m in live_app.mailbox.wait_for(1) if m["To"] == "cora@team.example"]
    assert mails, "the proposer is told"
    text = mail_text(mails[0])
    assert "This number does not answer." in text and "accepted" in text

"""A partner editor forks the sample letter in a real browser; an organiser approves it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import LiveApp, require, totp_device
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.letters.models import Letter, LetterVersion
from safepassage.letters.tests.test_services import PASSWORD, SAMPLE_BODY, World

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


def test_a_partner_editor_forks_edits_and_submits_and_an_organiser_approves(
    live_app: LiveApp, settings: Any
) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    # Playwright runs an event loop in this thread, during which Django refuses
    # database calls: everything is set up first, and checked after the browser closes.
    world = World(passwords=True)
    sample = world.sample()
    slug = world.campaign.slug
    letters_path = f"/team/{slug}/letters/"
    # Both must pass a second factor: each has an authenticator app.
    alice_app = Authenticator.of(totp_device(world.editor_a))
    olivia_app = Authenticator.of(totp_device(world.organiser))

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            editor = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 1000})
            page = editor.new_page()
            log_in(page, live_app.url, "alice", PASSWORD, letters_path, alice_app)
            assert "Sample letter (en)" in page.content()
            page.select_option(f"#fork-{sample.pk}", label="Freedom Coalition")
            page.click(f"#letter-{sample.pk} .fork-form button[type=submit]")
            page.wait_for_url(re.compile(r"/letters/\d+/$"))
            assert page.locator("#id_body").input_value() == SAMPLE_BODY
            assert page.locator(".merge-fields").get_by_text("{{ mission_name }}").is_visible()

            typed = SAMPLE_BODY + "\n\nWith greetings to the staff of {{ embassy_name }}."
            page.fill("#id_body", typed)
            page.fill("#id_signatories-0-name", "Suzanne Scholte")
            page.fill("#id_signatories-0-title", "Chair")
            page.click("#save-letter")
            error = page.locator("#id_body-error")
            assert error.is_visible()
            assert "embassy_name" in error.inner_text()
            assert page.locator("#id_body").input_value() == typed  # nothing typed is lost
            assert page.locator("#id_signatories-0-name").input_value() == "Suzanne Scholte"
            page.screenshot(path=str(folder / "letter-editor-error.png"), full_page=True)

            page.fill("#id_body", typed.replace("{{ embassy_name }}", "{{ mission_name }}"))
            page.click("#save-letter")
            page.wait_for_selector("text=Saved as version 2 (draft).")
            page.click("#submit-for-approval")
            page.wait_for_selector("text=Version 2 is waiting for an organiser's approval.")
            assert page.locator("#version-state .status-submitted").is_visible()
            letter_url = page.url
            editor.close()

            organiser = browser.new_context(
                locale="en-GB", viewport={"width": 1200, "height": 1000}
            )
            page = organiser.new_page()
            log_in(page, live_app.url, "olivia", PASSWORD, letters_path, olivia_app)
            row = page.locator("#organisation-letters tr", has_text="Freedom Coalition")
            assert "waiting for approval" in row.inner_text()
            row.get_by_role("link", name="History").click()
            page.wait_for_url(re.compile(r"/history/$"))
            assert page.locator("#version-2 .diff-add", has_text="mission_name").is_visible()
            page.screenshot(path=str(folder / "letter-history.png"), full_page=True)
            page.locator("#version-2").get_by_role("button", name="Approve this version").click()
            page.wait_for_selector("text=Version 2 is approved")
            assert page.locator("#version-2 .status-current").is_visible()
            page.goto(letter_url)
            assert "approved for the packets: version 2" in page.content()
            organiser.close()
        finally:
            browser.close()

    letter = Letter.objects.get(organisation=world.org_a)
    assert letter.forked_from == sample.approved_version
    assert letter.approved_version is not None
    approved: LetterVersion = letter.approved_version
    assert approved.number == 2
    assert approved.status == LetterVersion.Status.APPROVED
    assert approved.created_by == world.editor_a and approved.reviewed_by == world.organiser
    assert "{{ mission_name }}" in approved.body and "embassy_name" not in approved.body
    assert [s.name for s in approved.signatories.all()] == ["Suzanne Scholte"]
    assert letter.versions.count() == 2

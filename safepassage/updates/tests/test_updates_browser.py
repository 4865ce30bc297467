"""An organiser writes an update in Japanese in a real browser; it reaches consenting signers only.

Served as in production (gunicorn and the worker, conftest.live_app), mail
to a real SMTP server (aiosmtpd); the one-click unsubscribe is then POSTed
as a mail program does, without cookies.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from conftest import LiveApp, mail_text, require, totp_device
from personas import PASSWORD, organiser_of
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.signatures.models import Signature
from safepassage.updates.models import Unsubscribe
from safepassage.updates.tests.helpers import signer

CHROMIUM = Path("/usr/bin/chromium")
JAPANESE = "署名のお礼と今後の予定"
ENGLISH = "Thank you, and what comes next"


@pytest.fixture
def live_app_env() -> dict[str, str]:
    return {"UPDATE_MAIL_PER_MINUTE": "0"}


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_an_update_written_in_japanese_reaches_consenting_signers_in_their_language(
    live_app: LiveApp, petition
):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import expect, sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    campaign = petition.campaign
    japanese = signer(petition, "hanako@example.jp", Signature.Contact.UPDATES, "ja")
    signer(petition, "reader@example.org", Signature.Contact.CONTACT, "en")
    signer(petition, "quiet@example.org", Signature.Contact.COUNT_ONLY, "ja")
    organiser = organiser_of(campaign, "olga-browser")
    app = Authenticator.of(totp_device(organiser))
    start = f"/team/{campaign.slug}/updates/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB")
            log_in(page, live_app.url, "olga-browser", PASSWORD, start, app)
            page.select_option("#id_audience", "updates")
            page.select_option("#id_default_language", "en")
            page.click("#new-update")
            page.wait_for_url(re.compile(r"/updates/\d+/$"))
            for language, subject in (("ja", JAPANESE), ("en", ENGLISH)):
                page.select_option("#id_text-language", language)
                page.fill("#id_text-subject", subject)
                page.fill("#id_text-body", f"**{subject}**\n\n- 9月24日")
                page.click("#save-text")
                page.wait_for_url(re.compile(r"/updates/\d+/$"))
            # The preview: sanitised Markdown, in Japanese.
            expect(page.locator(f"article[lang=ja] strong:has-text('{JAPANESE}')")).to_be_visible()
            expect(page.locator("#recipient-count")).to_contain_text("2 people")
            page.click("#send-link")
            expect(page.locator("#send-count")).to_have_text("It goes to exactly 2 people.")
            page.click("#confirm-send")
            page.wait_for_url(re.compile(r"/updates/\d+/$"))
            mails = live_app.mailbox.wait_for(2)
            for _ in range(40):
                if page.locator("#progress-sent").inner_text() == "2":
                    break
                page.wait_for_timeout(250)
                page.reload()
            expect(page.locator("#progress-sent")).to_have_text("2")
            body = page.content()
            for address in ("hanako@example.jp", "reader@example.org", "quiet@example.org"):
                assert address not in body
        finally:
            browser.close()
    mails = live_app.mailbox.wait_for(3, timeout=2)
    by_address = {str(mail["To"]): mail for mail in mails}
    assert sorted(by_address) == ["hanako@example.jp", "reader@example.org"]
    assert by_address["hanako@example.jp"]["Subject"] == JAPANESE
    assert by_address["reader@example.org"]["Subject"] == ENGLISH
    mail = by_address["hanako@example.jp"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mail["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith(live_app.url) and link in mail_text(mail)
    # A mail program's one-click POST: no cookie, no CSRF token.
    request = urllib.request.Request(
        link,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    japanese.refresh_from_db()
    assert japanese.contact == Signature.Contact.COUNT_ONLY and japanese.email_encrypted == ""
    assert Unsubscribe.objects.get().via == Unsubscribe.Via.ONE_CLICK
    assert "hanako@example.jp" not in live_app.server_log()

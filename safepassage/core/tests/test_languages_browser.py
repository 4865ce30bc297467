"""A person signs and confirms in each of the coalition's ten languages, in a real browser.

The browser itself asks for English (en-GB), as on a shared computer: the language
comes from the link (``?lang=``), is kept through the form, reaches the mail, and the
link in the mail opens the confirmation page in it again. Each step checks the
``lang`` attribute and a sentence of that language's catalogue, so a missing or
stale catalogue fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from conftest import LiveApp, mail_text, require
from safepassage.core.demo_texts import PETITION
from safepassage.core.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class Expected:
    """What each page and the mail must say in one language (from its catalogue)."""

    code: str
    title: str
    thanks: str
    withdraw_line: str
    confirm_heading: str
    confirmed: str


def expected(code: str) -> Expected:
    with translation.override(code):
        return Expected(
            code=code,
            title=PETITION[code][0],
            thanks=gettext("Thank you. Please check your e-mail."),
            withdraw_line=gettext(
                "To withdraw your signature at any time and have your data erased:"
            ),
            confirm_heading=gettext("Confirm your signature"),
            confirmed=gettext("Your signature is confirmed. Thank you!"),
        )


def test_the_ten_languages_are_ten_different_catalogues():
    # A catalogue that is missing or empty would give the English sentence back.
    sentences = {expected(code).thanks for code in LANGUAGES}
    assert len(LANGUAGES) == 10
    assert len(sentences) == 10, sentences


def test_signing_and_confirming_in_each_of_the_ten_languages(live_app: LiveApp, petition):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    wanted = [expected(code) for code in LANGUAGES]
    url = f"{live_app.url}{petition.get_absolute_url()}"
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for number, language in enumerate(wanted, start=1):
                page = browser.new_context(locale="en-GB").new_page()
                problems += sign_and_confirm(page, live_app, url, language, number)
                page.context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def sign_and_confirm(page, live_app: LiveApp, url: str, want: Expected, number: int) -> list[str]:
    problems = []

    def check(what: str, ok: bool) -> None:
        if not ok:
            problems.append(f"{want.code}: {what}")

    def lang() -> str:
        return (page.get_attribute("html", "lang") or "").lower()

    page.goto(f"{url}?lang={want.code}")
    check(f"signing page lang={lang()}", lang() == want.code)
    check(f"petition title {page.title()!r}", want.title in page.title())

    page.fill("#id_first_name", "Ji-woo")
    page.fill("#id_last_name", f"Kim{number}")
    page.fill("#id_email", f"signer-{want.code}@example.org")
    page.fill("#id_city", "Busan")
    page.select_option("#id_country", "KR")
    page.wait_for_selector("select#id_region option[value='KR-26']", state="attached")
    page.select_option("#id_region", "KR-26")
    page.check("input[name=contact][value=count]")
    page.check("input[name=publish_name][value=no]")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/thanks/.*"))
    check(f"thanks page lang={lang()}", lang() == want.code)
    check("thanks page text", want.thanks in page.inner_text("h1"))

    mails = live_app.mailbox.wait_for(number)
    mine = [m for m in mails if m["To"] == f"signer-{want.code}@example.org"]
    if len(mine) != 1:
        return [*problems, f"{want.code}: {len(mine)} mails"]
    mail = mine[0]
    text = mail_text(mail)
    check(f"mail subject {mail['Subject']!r}", want.title in str(mail["Subject"]))
    check("mail body", want.withdraw_line in text)
    link = re.search(r"http://\S+/confirm/[0-9a-f]{40}/\S*", text)
    if link is None:
        return [*problems, f"{want.code}: no confirmation link"]
    check(f"link keeps the language: {link.group(0)}", f"lang={want.code}" in link.group(0))

    page.goto(link.group(0))
    check(f"confirmation page lang={lang()}", lang() == want.code)
    check("confirmation page heading", want.confirm_heading in page.inner_text("h1"))
    page.click("#confirm-button")
    page.wait_for_selector("#signature-count")
    check(f"confirmed page lang={lang()}", lang() == want.code)
    check("confirmed text", want.confirmed in page.inner_text("h1"))
    return problems

"""The embedded form in a real browser, on a partner's page served from another origin.

A second HTTP server (python -m http.server, another host name and port: another
origin and another site) serves a page with the snippet's iframe. Allowed, the
form loads in the frame and signing stores the partner; not allowed, Chromium
refuses to render the frame (frame-ancestors) and no form is reachable.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import LiveApp, free_port, require
from safepassage.signatures.embeds import EmbedOrigin
from safepassage.signatures.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


def outside_the_event_loop(query):
    # Playwright's loop runs in this thread, where Django refuses database calls.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(query).result()


@pytest.fixture
def partner_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static server on http://localhost:<port>: the partner's own site."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(origin + "/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield origin, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser(live_app: LiveApp):
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def allow(petition, origin: str):
    organisation = petition.campaign.organisations.order_by("pk").first()
    EmbedOrigin.objects.create(campaign=petition.campaign, organisation=organisation, origin=origin)
    return organisation


def partner_page(folder: Path, src: str) -> None:
    (folder / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title>'
        "</head><body><h1>Our partner's page</h1>"
        f'<iframe src="{src}" title="Sign the petition" width="100%" height="1100" '
        'loading="lazy"></iframe></body></html>',
        encoding="utf-8",
    )


def test_an_allowed_partner_site_shows_the_form_and_signing_carries_the_partner(
    petition, partner_site, live_app, browser
):
    origin, folder = partner_site
    organisation = outside_the_event_loop(lambda: allow(petition, origin))
    src = f"{live_app.url}/embed/p/{petition.slug}/?partner={organisation.slug}&lang=en"
    partner_page(folder, src)
    page = browser.new_page(locale="en-GB")
    page.goto(origin + "/")
    frame_element = page.wait_for_selector("iframe")
    frame = frame_element.content_frame()
    assert frame is not None
    frame.wait_for_selector("#sign-form")
    frame.fill("#id_first_name", "Min-jun")
    frame.fill("#id_last_name", "Park")
    frame.fill("#id_email", "min-jun.park@example.org")
    frame.fill("#id_city", "Busan")
    frame.select_option("#id_country", "KR")
    frame.wait_for_selector("select#id_region option[value='KR-26']", state="attached")
    frame.select_option("#id_region", "KR-26")
    frame.check("input[name=contact][value=count]")
    frame.check("input[name=publish_name][value=yes]")
    frame.click("button[type=submit].primary")
    frame.wait_for_selector("text=Please check your e-mail")
    assert "/embed/p/" in frame.url and "/thanks/" in frame.url

    def stored():
        return list(Signature.objects.values_list("embed_partner_id", "channel", "source"))

    assert outside_the_event_loop(stored) == [(organisation.pk, "online", "")]
    [mail] = live_app.mailbox.wait_for(1)
    assert mail["To"] == "min-jun.park@example.org"


def test_a_site_not_on_the_list_gets_no_form(petition, partner_site, live_app, browser):
    origin, folder = partner_site
    # Another site of the partner is allowed, this one is not.
    organisation = outside_the_event_loop(lambda: allow(petition, "https://elsewhere.example"))
    src = f"{live_app.url}/embed/p/{petition.slug}/?partner={organisation.slug}"
    partner_page(folder, src)
    page = browser.new_page(locale="en-GB")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(origin + "/")
    page.wait_for_selector("iframe")
    page.wait_for_timeout(1500)
    frame = page.query_selector("iframe").content_frame()
    assert frame is None or frame.query_selector("#sign-form") is None
    assert any("frame-ancestors" in message for message in messages), messages

"""A city coordinator gets their mission's packet in a real browser, by its human name.

The issue's "done when": the coordinator downloads the current packet of
their mission from the dashboard; after a withdrawal only that mission's
packet is out of date, is built again on the coordinator's request, and the
other packets stay ready, byte for byte.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from conftest import LiveApp, require, totp_device
from personas import PASSWORD, make_user
from safepassage.accounts.models import Assignment, Role
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import Signers
from safepassage.signatures import services as signing

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
BERLIN_NAME = "2026-09-24 Berlin — Embassy of China in Berlin.pdf"


def off_the_loop(work: Callable[[], Any]) -> None:
    """Run database work while Playwright's event loop holds this thread (Django refuses it)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # pragma: no cover - re-raised below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def wait_for_build(build: PacketBuild, timeout: float = 180.0) -> PacketBuild:
    """Until the live worker has finished the build."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build.refresh_from_db()
        if build.status == PacketBuild.Status.DONE:
            return build
        assert build.status != PacketBuild.Status.FAILED, list(build.packets.values("error"))
        time.sleep(0.5)
    raise AssertionError(f"build {build.pk} not finished: {build.status}")


def test_a_coordinator_downloads_their_packet_and_has_only_it_rebuilt_after_a_withdrawal(
    live_app: LiveApp, petition: Any, missions: Any, signers: Signers
) -> None:
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    campaign = petition.campaign
    cora = make_user("cora")
    role = Role.objects.create(user=cora, campaign=campaign, kind=Role.Kind.COORDINATOR)
    Assignment.objects.create(role=role, mission=missions["berlin"])
    app = Authenticator.of(totp_device(cora))
    # The organisers' build, made by the live worker.
    build = wait_for_build(services.start_build(campaign, petition, scope="mission"))
    before = dict(build.packets.values_list("mission__key", "sha256"))
    dashboard = f"/team/{campaign.slug}/dashboard/"

    from playwright.sync_api import sync_playwright

    from safepassage.core.tests.test_browser import CHROMIUM_ARGS

    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    downloads: list[tuple[str, bytes]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                locale="en-GB", viewport={"width": 1200, "height": 1000}, accept_downloads=True
            )
            page = context.new_page()
            log_in(page, live_app.url, "cora", PASSWORD, dashboard, app)
            section = page.locator("#packets")
            assert section.locator("tr", has_text="Embassy of China in Berlin").is_visible()
            assert "Seoul" not in section.inner_text()
            page.screenshot(path=str(folder / "coordinator-packets.png"), full_page=True)
            with page.expect_download() as first:
                section.get_by_role("link", name=BERLIN_NAME).click()
            downloads.append(
                (first.value.suggested_filename, Path(first.value.path()).read_bytes())
            )

            # A Berlin signer withdraws: only Berlin's packet is out of date.
            off_the_loop(lambda: signing.erase(signers.named["anna"], "withdrawn"))
            page.goto(f"{live_app.url}{dashboard}")
            row = section.locator("tr", has_text="Embassy of China in Berlin")
            assert row.get_attribute("data-state") == "stale"
            assert "a signer withdrew or was erased" in row.inner_text()
            page.screenshot(path=str(folder / "coordinator-packet-stale.png"), full_page=True)
            row.get_by_role("button", name="Build this mission now").click()
            page.wait_for_selector("text=is being built from the signatures as they are now")
            deadline = time.monotonic() + 180
            while row.get_attribute("data-state") != "ready":
                assert time.monotonic() < deadline, row.inner_text()
                time.sleep(0.5)
                page.reload()
            with page.expect_download() as second:
                row.get_by_role("link", name=BERLIN_NAME).click()
            downloads.append(
                (second.value.suggested_filename, Path(second.value.path()).read_bytes())
            )
            context.close()
        finally:
            browser.close()

    build = wait_for_build(build)
    berlin = build.packets.get(mission__key="cn-e-de")
    (first_name, first_bytes), (second_name, second_bytes) = downloads
    assert first_name == second_name == BERLIN_NAME
    assert hashlib.sha256(first_bytes).hexdigest() == before["cn-e-de"]
    assert hashlib.sha256(second_bytes).hexdigest() == berlin.sha256 != before["cn-e-de"]
    assert second_bytes[:4] == b"%PDF"
    after = dict(build.packets.values_list("mission__key", "sha256"))
    for key in ("cn-cg-munich", "cn-e-kr", "cn-e-jp", "cn-e-is"):
        assert after[key] == before[key], key
    assert set(build.packets.values_list("status", flat=True)) == {Packet.Status.DONE}
    assert not build.packets.exclude(stale_reason="").exists()
    # Both downloads audited, each with the bytes it sent.
    assert sorted(berlin.downloads.values_list("user_id", "sha256")) == sorted(
        [(cora.pk, before["cn-e-de"]), (cora.pk, berlin.sha256)]
    )
    assert re.fullmatch(r"[0-9a-f]{64}", build.zip_sha256)

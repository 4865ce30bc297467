"""Every public and coordinator page passes axe-core in Chromium, in each interface language.

axe-core is not part of the application: scripts/test downloads a pinned version from the
npm registry, checks its sha512 and keeps it in var/ (AXE_CORE_JS names the file). Each page
is judged against WCAG 2.0-2.2 A and AA and axe's best practices: no violation of any impact
is allowed, and at 360 px nothing may be wider than the screen. English, Korean and Japanese
are judged at 360 and 1280 CSS pixels wide, every other language the interface is ready in
(lib/languages.py) at 360 px, so a new catalogue brings its pages under the test by itself.
What axe cannot judge, and how that was checked by hand, is in docs/accessibility.md.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from conftest import ROOT, LiveApp, require, totp_device
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Petition
from safepassage.core.tests.browser import Authenticator, log_in
from safepassage.core.tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from safepassage.events.models import Event
from safepassage.lib import languages
from safepassage.reports import report as reports

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 1280)
# Browser locales that make the site choose each interface language by Accept-Language.
BROWSER_LOCALE = {
    "en": "en-GB",
    "ko": "ko-KR",
    "ja": "ja-JP",
    "zh-hans": "zh-CN",
    "zh-hant": "zh-TW",
    "es": "es-MX",
    "pt": "pt-BR",
    "de": "de-DE",
    "fr": "fr-FR",
    "nl": "nl-NL",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PASSWORD = "a-long-test-password-4821"

RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}
"""

OVERFLOW = """
() => {
  const root = document.documentElement;
  const edge = root.clientWidth + 1;
  if (root.scrollWidth <= root.clientWidth) { return null; }
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (typeof e.className === "string" && e.className ? "." + e.className.split(" ")[0] : "");
  const wide = [...document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > edge)
    .filter((e) => !e.parentElement || e.parentElement.getBoundingClientRect().right <= edge)
    .slice(0, 5)
    .map((e) => name(e) + " " + Math.round(e.getBoundingClientRect().right) + "px");
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide};
}
"""


def axe_script() -> Path:
    """The axe-core file scripts/test installed (AXE_CORE_JS), else the newest in var/."""
    named = os.environ.get("AXE_CORE_JS")
    if named:
        return Path(named)
    found = sorted((ROOT / "var" / "axe-core").glob("*/axe.min.js"))
    return found[-1] if found else ROOT / "var" / "axe-core" / "missing" / "axe.min.js"


def interface_languages() -> list[str]:
    return list(languages.interface_languages())


def demo_world() -> dict[str, Any]:
    """The demo as `manage.py load_demo` makes it, an organiser, and the pages to judge."""
    call_command("load_demo", stdout=io.StringIO())
    petition = Petition.objects.select_related("campaign").get()
    campaign = petition.campaign
    organiser = get_user_model().objects.create_user("a11y-organiser", password=PASSWORD)
    Role.objects.create(user=organiser, campaign=campaign, kind=Role.Kind.ORGANISER)
    reports.publish(reports.report_for(campaign), organiser)  # the public report page
    event = Event.objects.filter(campaign=campaign).order_by("pk").first()
    assert event is not None, "the demo has events"
    public = [
        "/",
        f"/c/{campaign.slug}/",
        f"/p/{petition.slug}/",
        f"/p/{petition.slug}/thanks/",
        "/missions/CN/",
        "/missions/CN/find/?country=DE&city=Berlin",
        f"/events/{campaign.slug}/",
        f"/e/{event.uuid}/",
        f"/c/{campaign.slug}/report/",
    ]
    team = ["/team/", f"/team/{campaign.slug}/dashboard/", f"/team/{campaign.slug}/board/"]
    return {
        "public": public,
        "team": team,
        "organiser": organiser.username,
        "authenticator": Authenticator.of(totp_device(organiser)),
    }


def judge(page: Any, url: str, language: str, where: str) -> list[str]:
    """What is wrong with one page at the viewport's width: lang, axe, overflow."""
    problems = []
    page.goto(url, wait_until="load")
    marked = page.evaluate("document.documentElement.lang")
    if marked != language:
        problems.append(f"{where}: <html lang={marked!r}>")
    for violation in page.evaluate(RUN_AXE, AXE_TAGS):
        problems.append(
            f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}\n    "
            + "\n    ".join(violation["nodes"])
        )
    if page.viewport_size["width"] <= 360 and (overflow := page.evaluate(OVERFLOW)):
        problems.append(f"{where}: wider than the screen {overflow}")
    return problems


# Every page at both widths in the languages of the partner organisations (English, Korean,
# Japanese); the other interface languages at the narrow width, where their longer words
# and other scripts could push a page wider than the screen.
FULLY_JUDGED = ("en", "ko", "ja")


@pytest.mark.parametrize("language", [c for c in interface_languages() if c in FULLY_JUDGED])
def test_every_page_passes_axe_and_fits_a_narrow_screen(live_app: LiveApp, language: str) -> None:
    judge_everywhere(live_app, [language], WIDTHS)


OTHER_LANGUAGES = [code for code in interface_languages() if code not in FULLY_JUDGED]


# In two halves, one for each core: together they take minutes.
@pytest.mark.parametrize(
    "codes", [OTHER_LANGUAGES[0::2], OTHER_LANGUAGES[1::2]], ids=lambda codes: ",".join(codes)
)
def test_every_page_in_the_other_languages_passes_axe_on_a_narrow_screen(
    live_app: LiveApp, codes: list[str]
) -> None:
    assert codes, "the interface is ready in more languages than these three"
    judge_everywhere(live_app, codes, (360,))


def judge_everywhere(live_app: LiveApp, codes: list[str], widths: tuple[int, ...]) -> None:
    """Every public and team page, in each language and at each width: no problem at all."""
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    axe = axe_script()
    require(axe.is_file(), f"axe-core ({axe}; scripts/test installs it)")
    world = demo_world()

    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    judged: list[str] = []
    # The organiser logs in once; each later language's browser carries that session (an
    # authenticator's code is accepted once, and a new one comes only every 30 seconds).
    session: Any = None  # playwright's StorageState
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for language in codes:
                for persona, paths in (("visitor", world["public"]), ("organiser", world["team"])):
                    context = browser.new_context(
                        locale=BROWSER_LOCALE.get(language, language),
                        viewport={"width": 1280, "height": 900},
                        storage_state=session if persona == "organiser" else None,
                    )
                    context.add_init_script(path=str(axe))
                    page = context.new_page()
                    if persona == "organiser" and session is None:
                        log_in(
                            page,
                            live_app.url,
                            world["organiser"],
                            PASSWORD,
                            "/team/",
                            world["authenticator"],
                        )
                        session = without_language_choice(context.storage_state())
                    for width in widths:
                        page.set_viewport_size({"width": width, "height": 900})
                        for path in paths:
                            where = f"{language} {width}px {path}"
                            problems.extend(judge(page, f"{live_app.url}{path}", language, where))
                            judged.append(where)
                    context.close()
        finally:
            browser.close()
    pages = len(world["public"]) + len(world["team"])
    assert len(judged) == len(codes) * len(widths) * pages
    assert problems == [], "\n".join(problems)


def without_language_choice(state: Any) -> dict[str, Any]:
    """A browser's stored state without a language cookie: each browser's locale decides."""
    cookies = [c for c in state["cookies"] if c["name"] != settings.LANGUAGE_COOKIE_NAME]
    return {**state, "cookies": cookies}


FOCUSED = """
() => {
  const element = document.activeElement;
  if (!element || element === document.body) { return null; }
  const style = getComputedStyle(element);
  return {
    id: element.id,
    name: element.getAttribute("name") || "",
    tag: element.tagName.toLowerCase(),
    type: element.getAttribute("type") || "",
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
  };
}
"""

DESCRIBED = """
(selector) => {
  const element = document.querySelector(selector);
  const ids = (element.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return {
    invalid: element.getAttribute("aria-invalid"),
    descriptions: ids.map((id) => {
      const target = document.getElementById(id);
      return target ? target.textContent.trim() : "";
    }),
  };
}
"""

FIELDS = [
    "first_name",
    "last_name",
    "email",
    "city",
    "country",
    "region",
    "contact",
    "publish_name",
]


def test_signing_with_the_keyboard_alone(live_app: LiveApp, petition: Petition) -> None:
    """Tab reaches every field and the button in order, focus shows, errors are announced."""
    require(CHROMIUM.exists(), "Debian's Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 360, "height": 800})
            page.goto(f"{live_app.url}/p/{petition.slug}/", wait_until="load")
            reached: list[dict[str, Any]] = []
            for _ in range(80):
                page.keyboard.press("Tab")
                focused = page.evaluate(FOCUSED)
                assert focused is not None, f"the focus left the page after {reached}"
                reached.append(focused)
                if focused["tag"] == "button" and focused["type"] == "submit":
                    break
            names = [item["name"] for item in reached if item["name"]]
            assert [name for name in names if name in FIELDS] == FIELDS, names
            assert reached[-1]["tag"] == "button", "Tab never reached the Sign button"
            invisible = [
                item for item in reached if item["outline"] == "none" or not item["outlineWidth"]
            ]
            assert invisible == [], f"focus not visible on {invisible}"
            assert "website" not in names  # the bots' field is never in the way

            # Send the empty form with the keyboard: the page comes back with its errors.
            with page.expect_navigation():
                page.keyboard.press("Enter")
            summary = page.evaluate(FOCUSED)
            assert summary is not None and summary["id"] == "error-summary", summary
            assert page.get_attribute("#error-summary", "role") == "alert"
            for field in ("first_name", "last_name", "email", "city", "country"):
                described = page.evaluate(DESCRIBED, f"#id_{field}")
                assert described["invalid"] == "true", (field, described)
                assert described["descriptions"] and all(described["descriptions"]), (
                    field,
                    described,
                )
            for group in ("contact", "publish_name"):
                if page.locator(f"fieldset#id_{group}.invalid").count():
                    described = page.evaluate(DESCRIBED, f"fieldset#id_{group}")
                    assert described["descriptions"] and all(described["descriptions"]), group
            # The summary's first line leads to its field.
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
            assert page.evaluate(FOCUSED)["id"] == "id_first_name"
        finally:
            browser.close()

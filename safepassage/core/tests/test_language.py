"""The language a page is marked with is the language it is in (core/language.py).

Requests name languages in ?lang=, the language cookie and Accept-Language; the interface
is shown in the first of them that has a catalogue of ours, else in English, and says so.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from safepassage.campaigns.models import Petition, PetitionText
from safepassage.core.language import keep_in_links, with_language
from safepassage.lib import languages

pytestmark = pytest.mark.django_db

TEN = ["en", "ko", "ja", "zh-hans", "zh-hant", "es", "pt", "de", "fr", "nl"]


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', html)
    assert match is not None, html[:300]
    return match.group(1)


def note(html: str) -> str:
    match = re.search(r'<p class="language-note">(.*?)</p>', html)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


@pytest.fixture
def korean_only(settings, tmp_path):
    """The site as it was before the other catalogues: English and Korean only."""
    folder = tmp_path / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(Path(settings.LOCALE_PATHS[0]) / "ko" / "LC_MESSAGES" / "django.mo", folder)
    settings.LOCALE_PATHS = [tmp_path]
    assert languages.interface_languages() == ("en", "ko")


def get(client: Client, path: str, accept: str = "") -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_ten_languages_are_configured_and_only_those_with_a_catalogue_are_offered():
    assert [code for code, _name in settings.LANGUAGES] == TEN
    field = PetitionText._meta.get_field("language")
    assert [code for code, _name in field.choices or ()] == TEN
    # Every one of them has its catalogue (docs/translations.md), so every one is offered.
    assert list(languages.interface_languages()) == TEN


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh-TW", "zh-hant"),
        ("zh-HK", "zh-hant"),
        ("zh-Hant-TW", "zh-hant"),
        ("zh-CN", "zh-hans"),
        ("zh", "zh-hans"),
        ("pt-BR", "pt"),
        ("es-419", "es"),
        ("nl-BE", "nl"),
        ("ko-KR", "ko"),
        ("ru", None),
        ("", None),
    ],
)
def test_language_tags_map_to_the_configured_languages(tag, code):
    assert languages.supported(tag) == code


def test_a_language_without_a_catalogue_is_shown_as_english_and_says_so(
    client, petition, korean_only
):
    html = get(client, f"/p/{petition.slug}/", "ja")
    assert html_lang(html) == "en"
    assert note(html) == "This page is not yet available in 日本語; shown in English."
    assert '<span lang="ja">日本語</span>' in html
    # Traditional Chinese is never called Simplified.
    html = get(client, f"/p/{petition.slug}/", "zh-TW,zh;q=0.8")
    assert html_lang(html) == "en"
    assert "繁體中文" in note(html)
    # The next language the browser accepts that has a catalogue is taken.
    html = get(client, f"/p/{petition.slug}/", "ja,ko;q=0.7,en;q=0.3")
    assert html_lang(html) == "ko"
    assert "日本語" in note(html)
    # Languages we have: no note.
    assert note(get(client, f"/p/{petition.slug}/", "ko")) == ""
    assert note(get(client, f"/p/{petition.slug}/", "en-US")) == ""


def test_a_petition_text_in_the_requested_language_carries_its_own_lang(
    client, petition, korean_only
):
    PetitionText.objects.update_or_create(
        petition=petition, language="ja", defaults={"title": "安全な通行を", "body": "本文"}
    )
    html = get(client, f"/p/{petition.slug}/", "ja")
    assert html_lang(html) == "en"
    assert '<h1 lang="ja">安全な通行を</h1>' in html
    assert re.search(r'<div class="petition-text" lang="ja">\s*<p>本文</p>', html)
    # Korean page, Korean text; an English page without a text in its language: English.
    assert '<div class="petition-text" lang="ko">' in get(client, f"/p/{petition.slug}/", "ko")
    # German has no catalogue here but the petition has a German text: it is shown, marked.
    assert '<div class="petition-text" lang="de">' in get(client, f"/p/{petition.slug}/", "de")
    PetitionText.objects.filter(petition=petition, language="nl").delete()
    assert '<div class="petition-text" lang="en">' in get(client, f"/p/{petition.slug}/", "nl")


def test_the_language_in_the_url_wins_and_stays_in_the_links(client, petition):
    html = get(client, f"/p/{petition.slug}/?lang=ko", "en")
    assert html_lang(html) == "ko"
    assert f'href="/p/{petition.slug}/resend/?lang=ko"' in html
    assert 'href="/about/?lang=ko"' in html
    assert 'data-subdivisions-url="/geo/subdivisions/XX.json?lang=ko"' in html
    assert re.search(r'href="/static/[^"]*\.css"', html)  # files are left alone
    # The form posts to the page's own URL, so the choice survives the redirect to thanks.
    response = client.post(f"/p/{petition.slug}/?lang=ko", {"first_name": ""})
    assert response.status_code == 200 and html_lang(response.content.decode()) == "ko"
    # A later request without it goes by the browser again: ?lang= is for its URL only.
    assert html_lang(get(client, f"/p/{petition.slug}/", "en")) == "en"
    assert "lang=" not in client.cookies.get(settings.LANGUAGE_COOKIE_NAME, "")


def test_hreflang_alternates_and_the_switcher_list_the_ready_languages(
    client, petition, korean_only
):
    html = get(client, "/missions/?q=x&lang=ko", "en")
    alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
    base = f"{settings.SITE_URL}/missions/"
    expected = [(code, f"{base}?q=x&amp;lang={code}") for code in languages.interface_languages()]
    assert alternates == [*expected, ("x-default", f"{base}?q=x")]
    switcher = html[html.index("data-language-switch") : html.index("</form>")]
    assert re.findall(r'<option value="([^"]+)"', switcher) == list(languages.interface_languages())
    assert '<input type="hidden" name="q" value="x">' in switcher
    assert 'name="lang"' in switcher and "ja" not in re.findall(r'value="([^"]+)"', switcher)


def test_a_new_catalogue_makes_its_language_ready(client, petition, settings, tmp_path):
    """Interface-ready is read from the locale directories: dropping in ja's .mo is enough."""
    for code in ("ko", "ja"):
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        # Korean messages under the Japanese name: enough to see which catalogue is used.
        shutil.copy(Path(settings.LOCALE_PATHS[0]) / "ko" / "LC_MESSAGES" / "django.mo", folder)
    settings.LOCALE_PATHS = [tmp_path]
    assert "ja" in languages.interface_languages()
    html = get(client, f"/p/{petition.slug}/", "ja")
    assert html_lang(html) == "ja" and note(html) == ""
    assert '<option value="ja" lang="ja" selected>日本語</option>' in html


def test_redirects_keep_the_language_of_the_url():
    assert with_language("/p/x/thanks/", "ko", escaped=False) == "/p/x/thanks/?lang=ko"
    assert with_language("/e/1/?a=1#top", "ja", escaped=False) == "/e/1/?a=1&lang=ja#top"
    assert with_language("/p/x/?lang=en", "ko") == "/p/x/?lang=en"
    assert with_language("//elsewhere.example/", "ko") == "//elsewhere.example/"
    assert with_language("https://elsewhere.example/", "ko") == "https://elsewhere.example/"
    page = (
        '<a href="/x/">x</a><form action="/find/" method="get"><input name="q"></form>'
        '<form method="post" action="/p/"></form><a href="/static/a.css">'
    )
    assert keep_in_links(page, "ko") == (
        '<a href="/x/?lang=ko">x</a><form action="/find/" method="get">'
        '<input type="hidden" name="lang" value="ko"><input name="q"></form>'
        '<form method="post" action="/p/?lang=ko"></form><a href="/static/a.css">'
    )


def test_negotiating_the_language_reads_nothing_from_the_database(client, petition: Petition):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get(client, f"/p/{petition.slug}/", "en")  # the petition is cached from now on
    with CaptureQueriesContext(connection) as plain:
        get(client, f"/p/{petition.slug}/", "en")
    with CaptureQueriesContext(connection) as negotiated:
        get(client, f"/p/{petition.slug}/?lang=ko", "ja,zh-TW;q=0.9")
    assert len(negotiated) == len(plain)

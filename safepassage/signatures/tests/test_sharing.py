"""Share cards as a crawler sees them, the share picture, and the share links."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from safepassage.campaigns.models import PetitionText
from safepassage.events.models import Event
from safepassage.events.tests.test_events import make_event
from safepassage.signatures import shareimage

pytestmark = pytest.mark.django_db

BOT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


class Tags(HTMLParser):
    """Meta tags, scripts, and anything else that loads from an address."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.sources: list[str] = []
        self.share_links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        for name in ("src", "srcset"):
            if name in a:
                self.sources.append(a[name])
        if tag == "link" and a.get("rel") in ("stylesheet", "preload", "modulepreload", "icon"):
            self.sources.append(a["href"])
        if tag == "a" and "share-" in a.get("class", ""):
            self.share_links.append(a)


def crawl(path: str, language: str = "") -> tuple[Any, Tags]:
    client = Client(HTTP_USER_AGENT=BOT)  # no cookie, no Accept-Language
    headers = {"Accept-Language": language} if language else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    tags = Tags()
    tags.feed(response.content.decode())
    return response, tags


def image_of(url: str) -> tuple[Any, bytes]:
    parts = urlsplit(url)
    response = Client(HTTP_USER_AGENT=BOT).get(parts.path, {"lang": parts.query.split("=")[-1]})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    return response, response.content


def assert_local_only(tags: Tags) -> None:
    for source in tags.sources:
        assert source.startswith("/"), f"loaded from elsewhere: {source}"


def test_the_signing_page_has_a_card_with_a_generated_picture(petition, settings):
    _response, tags = crawl(petition.get_absolute_url())
    meta = tags.meta
    text = petition.text("en")
    assert meta["og:title"] == text.title
    assert meta["og:description"]
    assert meta["og:url"] == f"{settings.SITE_URL}{petition.get_absolute_url()}?lang=en"
    assert meta["og:locale"] == "en_US"
    assert meta["og:image:width"] == "1200" and meta["og:image:height"] == "630"
    assert meta["og:image:alt"].startswith(text.title)
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == meta["og:image"]
    assert meta["og:image"].startswith(settings.SITE_URL + "/p/")
    _response, png = image_of(meta["og:image"])
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG" and picture.size == (1200, 630)
    assert_local_only(tags)


def test_the_card_is_in_the_language_of_the_page(petition, settings):
    _response, tags = crawl(petition.get_absolute_url(), language="ko")
    meta = tags.meta
    assert meta["og:locale"] == "ko_KR"
    assert meta["og:url"].endswith("?lang=ko")
    assert meta["og:image"].endswith("?lang=ko")
    korean = petition.text("ko")
    if korean is not None and korean.language == "ko":
        assert meta["og:title"] == korean.title
    _r, png_ko = image_of(meta["og:image"])
    _r, png_en = image_of(meta["og:image"].replace("lang=ko", "lang=en"))
    assert png_ko != png_en


def test_the_picture_changes_with_the_count_and_the_title_not_with_every_signature(petition):
    common = {"campaign": "Save North Korean Refugees Day", "day": "Day of action: 24 Sept 2026"}
    common |= {"count_label": "confirmed signatures", "site": "example.org", "language": "en"}
    few = shareimage.render(title="Safe passage now", count=5, **common)
    many = shareimage.render(title="Safe passage now", count=12000, **common)
    other = shareimage.render(title="Stop forced repatriation", count=5, **common)
    assert len({few, many, other}) == 3
    for png in (few, many, other):
        assert Image.open(io.BytesIO(png)).size == (1200, 630)
    assert shareimage.rounded(12345) == 12000 == shareimage.rounded(12999)
    assert shareimage.rounded(57) == 57


def test_the_picture_is_drawn_again_only_when_the_rounded_count_or_the_title_change(
    petition, monkeypatch
):
    cache.clear()
    drawn: list[int] = []
    real = shareimage.render

    def counting(**kwargs: Any) -> bytes:
        drawn.append(kwargs["count"])
        return real(**kwargs)

    monkeypatch.setattr(shareimage, "render", counting)
    first = shareimage.share_image(petition, "en", 12345, "example.org")
    assert shareimage.share_image(petition, "en", 12399, "example.org") == first
    assert drawn == [12000]
    assert shareimage.share_image(petition, "en", 13000, "example.org") != first
    PetitionText.objects.filter(petition=petition).update(title="A new title")
    shareimage.share_image(petition, "en", 13001, "example.org")
    assert drawn == [12000, 13000, 13000]


def test_a_long_korean_title_is_wrapped_inside_the_picture():
    lines_font = shareimage._title_lines("북한 난민의 안전한 통행을 위한 청원 " * 6, "ko", 1056)
    lines, font = lines_font
    assert 1 < len(lines) <= 4
    assert all(font.getlength(line) <= 1056 for line in lines)


def test_the_thanks_page_shares_the_petition_with_plain_links(petition, settings):
    _response, tags = crawl(f"/p/{petition.slug}/thanks/", language="ko")
    assert tags.meta["og:url"] == f"{settings.SITE_URL}{petition.get_absolute_url()}?lang=ko"
    links = {link["class"].split("share-")[1]: link for link in tags.share_links}
    assert set(links) == {
        "whatsapp", "line", "kakao", "telegram", "x", "facebook", "email", "copy"
    }  # fmt: skip
    shared = f"{settings.SITE_URL}{petition.get_absolute_url()}?lang=ko"
    for key, link in links.items():
        if key in ("email", "copy"):
            continue
        assert link["rel"] == "noopener noreferrer"
        assert link["href"].startswith("https://")
    assert links["copy"]["href"] == shared
    assert links["email"]["href"].startswith("mailto:?subject=")
    assert "lang%3Dko" in links["whatsapp"]["href"]
    assert_local_only(tags)


def test_the_campaign_page_has_the_card_and_the_links(petition):
    campaign = petition.campaign
    _response, tags = crawl(f"/c/{campaign.slug}/")
    assert tags.meta["twitter:card"] == "summary_large_image"
    assert tags.meta["og:url"].endswith(f"/c/{campaign.slug}/?lang=en")
    assert tags.share_links
    assert_local_only(tags)


def test_event_pages_have_cards(petition):
    campaign = petition.campaign
    _response, tags = crawl(f"/events/{campaign.slug}/")
    assert tags.meta["og:title"] == campaign.title
    assert tags.meta["og:image"]
    event = make_event(campaign, visibility=Event.Visibility.PUBLIC)
    _response, tags = crawl(f"/e/{event.uuid}/")
    assert tags.meta["og:title"] == event.title
    assert tags.meta["og:image"].startswith("http")
    assert_local_only(tags)

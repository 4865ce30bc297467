"""Share cards and share links: ``{% social_meta %}`` and ``{% share_links %}``.

``social_meta`` writes the Open Graph and Twitter card tags of a public page
in the language it is rendered in: the page's address with ``?lang=`` (a
shared link opens in the sharer's language), the petition's share picture
(views/share.py) with its size and a text alternative. ``share_links``
writes plain links to the messengers' own share pages: no script of theirs,
nothing loaded from elsewhere until the visitor follows one. Both are used by
the signing, thanks, campaign and event pages (templates above this app may
load the library).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from django import template
from django.conf import settings
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import strip_tags
from django.utils.translation import get_language, gettext, ngettext, to_locale

from safepassage.campaigns.models import Campaign, Petition
from safepassage.lib.markdown import render_markdown
from safepassage.signatures import counter
from safepassage.signatures.shareimage import HEIGHT, WIDTH, rounded

register = template.Library()

# og:locale wants language_TERRITORY; where a language is spoken in many places,
# the territory Facebook and LINE know it by.
OG_LOCALES = {
    "en": "en_US",
    "ko": "ko_KR",
    "ja": "ja_JP",
    "zh-hans": "zh_CN",
    "zh-hant": "zh_TW",
    "es": "es_LA",
    "pt": "pt_BR",
    "de": "de_DE",
    "fr": "fr_FR",
    "nl": "nl_NL",
}


def og_locale(language: str) -> str:
    return OG_LOCALES.get(language.lower(), to_locale(language))


def absolute(path: str) -> str:
    """An address on this site as others must write it (SITE_URL, not the request's host)."""
    return settings.SITE_URL + path


def with_language(path: str, language: str) -> str:
    """The path with ``?lang=`` so the link opens in this language for whoever follows it."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({'lang': language})}"


def summary(petition: Petition | None, language: str, fallback: str = "") -> str:
    """The first words of the petition's text as plain text (the card's description)."""
    text = petition.text(language) if petition else None
    if text is None:
        return fallback
    return _plain_start(text.body)


@lru_cache(maxsize=128)
def _plain_start(markdown: str) -> str:
    """Rendered once per text and process: the signing page is the busiest page."""
    plain = " ".join(strip_tags(render_markdown(markdown)).split())
    return truncatechars(plain, 200)


@register.inclusion_tag("signatures/_social_meta.html", takes_context=True)
def social_meta(
    context: template.Context,
    petition: Petition | None = None,
    title: str = "",
    description: str = "",
    campaign: Campaign | None = None,
    path: str = "",
) -> dict[str, Any]:
    """The card tags for this page (or for ``path``, e.g. the petition from its thanks page).

    The picture is the petition's, or that of the campaign's first petition.
    """
    language = get_language() or settings.LANGUAGE_CODE
    request = context.get("request")
    path = path or (request.path if request is not None else "/")
    if petition is None and campaign is not None:
        petition = Petition.objects.filter(campaign=campaign).order_by("pk").first()
    if petition is not None:
        petition = petition.in_language(language)
    text = petition.text(language) if petition else None
    title = title or (text.title if text else petition.campaign.title if petition else "")
    image = image_alt = ""
    if petition is not None:
        image = absolute(
            with_language(reverse("signatures:share_image", args=[petition.slug]), language)
        )
        count = rounded(counter.confirmed_count(petition))
        image_alt = ngettext(
            "%(title)s: %(count)s confirmed signature",
            "%(title)s: %(count)s confirmed signatures",
            count,
        ) % {"title": title, "count": number_format(count, force_grouping=True)}
    return {
        "og_title": title,
        "og_description": description or summary(petition, language, title),
        "og_url": absolute(with_language(path, language)),
        "og_image": image,
        "og_image_alt": image_alt,
        "og_image_width": WIDTH,
        "og_image_height": HEIGHT,
        "og_locale": og_locale(language),
        "site_name": petition.campaign.title if petition else "safepassage",
    }


def share_targets(url: str, text: str) -> list[dict[str, str]]:
    """(key, name, href) of each share link: each service's own page, or mail."""
    both = f"{text} {url}"
    q = quote
    return [
        {"key": "whatsapp", "name": "WhatsApp", "href": f"https://wa.me/?text={q(both)}"},
        {
            "key": "line",
            "name": "LINE",
            "href": f"https://social-plugins.line.me/lineit/share?url={q(url, safe='')}",
        },
        {
            # KakaoTalk itself shares only through Kakao's SDK (a script of theirs, an app
            # key): the plain web share page is Kakao's; phones reach KakaoTalk through
            # the "More apps" button (the browser's own share sheet, static/js/share.js).
            "key": "kakao",
            "name": "KakaoTalk",
            "href": f"https://story.kakao.com/share?url={q(url, safe='')}",
        },
        {
            "key": "telegram",
            "name": "Telegram",
            "href": f"https://t.me/share/url?url={q(url, safe='')}&text={q(text, safe='')}",
        },
        {
            "key": "x",
            "name": "X",
            "href": f"https://x.com/intent/post?url={q(url, safe='')}&text={q(text, safe='')}",
        },
        {
            "key": "facebook",
            "name": "Facebook",
            "href": f"https://www.facebook.com/sharer/sharer.php?u={q(url, safe='')}",
        },
        {
            "key": "email",
            "name": gettext("E-mail"),
            "href": f"mailto:?subject={q(text, safe='')}&body={q(both, safe='')}",
        },
    ]


@register.inclusion_tag("signatures/_share_links.html", takes_context=True)
def share_links(context: template.Context, petition: Petition, path: str = "") -> dict[str, Any]:
    """Links that share ``path`` (the petition's signing page by default) in this language."""
    language = get_language() or settings.LANGUAGE_CODE
    text = petition.text(language)
    title = text.title if text else petition.campaign.in_language(language).title
    url = absolute(with_language(path or petition.get_absolute_url(), language))
    return {"url": url, "title": title, "targets": share_targets(url, title)}

"""What every page's template knows: the demo banner and the languages of the page.

``page_languages`` is computed only when a template reads it (templates/base.html does): the
language switcher, the ``hreflang`` alternates and the note shown when the page is not in
the language asked for (core/language.py, lib/languages.py). Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

from safepassage.lib import languages


@cache
def local_name(code: str) -> str:
    """A language's name in that language ("한국어", "日本語", "繁體中文")."""
    return str(get_language_info(code)["name_local"])


@dataclass(frozen=True)
class PageLanguages:
    current: str
    choices: list[tuple[str, str]]  # (code, local name) of each interface-ready language
    alternate_links: SafeString  # <link rel="alternate" hreflang> of each, x-default last
    other_parameters: list[tuple[str, str]]  # the query but ?lang=, for the switcher's form
    not_available_in: SafeString | None  # the requested language's name, marked with its lang
    shown_in: str


@cache
def _language_parameter(code: str) -> str:
    """``lang=code`` as it stands in an attribute."""
    return escape(urlencode({languages.QUERY_PARAMETER: code}))


def alternate_links(base: str, others: list[tuple[str, str]], ready: Iterable[str]) -> SafeString:
    """The page's ``<link rel="alternate" hreflang>`` tags, one a line, x-default last.

    Joined here rather than by a loop in the template, which cost the signing page more
    than the rest of its head: only the address's own part is escaped on each request.
    """
    page = escape(base)
    query = escape(urlencode(others))
    prefix = f"{page}?{query}&amp;" if query else f"{page}?"
    pairs: list[tuple[str, str]] = [
        (escape(code), prefix + _language_parameter(code)) for code in ready
    ]
    pairs.append(("x-default", f"{page}?{query}" if query else page))
    return mark_safe(  # noqa: S308 (every value escaped above)
        "".join(f'<link rel="alternate" hreflang="{code}" href="{href}">\n' for code, href in pairs)
    )


def page_languages(request: HttpRequest) -> PageLanguages:
    choice = getattr(request, "language_choice", None)
    interface = choice.interface if choice else (get_language() or settings.LANGUAGE_CODE)
    others = [
        (key, value)
        for key, values in request.GET.lists()
        if key != languages.QUERY_PARAMETER
        for value in values
    ]
    ready = languages.interface_languages()
    note = None
    if choice is not None and choice.falls_back:
        note = format_html(
            '<span lang="{}">{}</span>', choice.requested, local_name(choice.requested)
        )
    return PageLanguages(
        current=interface,
        choices=[(code, local_name(code)) for code in ready],
        alternate_links=alternate_links(settings.SITE_URL + request.path, others, ready),
        other_parameters=others,
        not_available_in=note,
        shown_in=local_name(interface),
    )


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "page_languages": SimpleLazyObject(lambda: page_languages(request)),
    }

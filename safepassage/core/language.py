"""The language of each request: Django's LocaleMiddleware, made honest (lib/languages.py).

LanguageMiddleware activates the *interface* language negotiated from ``?lang=``, the
language cookie and Accept-Language, never a language without a catalogue of ours, so that
``<html lang>`` and Content-Language name the language the page is really in. The request
carries the whole choice as ``request.language_choice`` (the requested language chooses
petition texts; templates/base.html says when the two differ).

A language named in the URL (``/p/<slug>/?lang=ko``, what a shared link carries) holds for
that request only, and stays in the URL as the visitor goes on: the same-site links, form
targets and redirects of the answer carry it too (keep_in_links). Only answers to such
requests are rewritten, so the signing form's usual path costs nothing more than before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

from safepassage.lib import languages

Handler = Callable[[HttpRequest], HttpResponseBase]

# Paths whose links are left alone: files, Django's own language switch and the admin.
_UNTOUCHED = ("/static/", "/media/", "/i18n/", "/admin/")
# An opening <a> or <form> tag.
_TAG = re.compile(r"<(?:a|form)\b[^>]*>", re.IGNORECASE)
# A data-...-url attribute a script fetches from, in any tag. It is looked for by the end of
# its name: the engine finds a pattern opening with a literal quickly, where one opening with
# \s (or an alternation) is tried at every character of the page, which cost more than all
# the rest of the rewriting.
_DATA_URL_END = re.compile(r'-(?i:url)="')
_DATA_URL = re.compile(r'\sdata-[a-z-]+-url="[^"]*"', re.IGNORECASE)
_NAME_CHARACTER = re.compile(r"[a-z-]", re.IGNORECASE)
_TARGET = re.compile(r'(\s(?:href|action|data-[a-z-]+-url)=")(/(?!/)[^"]*)"', re.IGNORECASE)
_METHOD_POST = re.compile(r"\smethod=\"?post\b", re.IGNORECASE)
_HAS_LANG = re.compile(r"[?&;]lang=")


def with_language(url: str, code: str, escaped: bool = True) -> str:
    """A same-site path with ``lang=code`` in its query (HTML-escaped ``&amp;`` by default)."""
    if not url.startswith("/") or url.startswith("//") or url.startswith(_UNTOUCHED):
        return url
    path, hash_mark, fragment = url.partition("#")
    if _HAS_LANG.search(path):
        return url
    joiner = ("&amp;" if escaped else "&") if "?" in path else "?"
    return f"{path}{joiner}{languages.QUERY_PARAMETER}={code}{hash_mark}{fragment}"


def keep_in_links(html: str, code: str) -> str:
    """The page with ``lang=code`` in its same-site links, POST targets and script URLs.

    A GET form drops the query of its action when sent, so it gets a hidden field instead
    (the language switcher, marked data-language-switch, names the language itself).
    """
    html = _TAG.sub(lambda match: _with_language_in_tag(match.group(0), code), html)
    # Then the data-...-url attributes of the other tags (those of <a> and <form> have
    # their language already: with_language leaves them as they are).
    parts: list[str] = []
    done = 0
    for end in _DATA_URL_END.finditer(html):
        start = end.start()  # back to the whitespace before the attribute's name
        while start > done and _NAME_CHARACTER.match(html, start - 1):
            start -= 1
        attribute = _DATA_URL.match(html, start - 1) if start > done else None
        if attribute is not None:
            parts += (html[done : attribute.start()], _with_language_in_tag(attribute[0], code))
            done = attribute.end()
    return "".join(parts) + html[done:]


def _with_language_in_tag(text: str, code: str) -> str:
    """An <a> or <form> tag, or a data-...-url attribute, with ``lang=code`` in its targets."""
    get_form = text[:5].lower() == "<form" and not _METHOD_POST.search(text)

    def target(found: re.Match[str]) -> str:
        if get_form and found.group(1).lower().endswith('action="'):
            return found.group(0)
        return f'{found.group(1)}{with_language(found.group(2), code)}"'

    text = _TARGET.sub(target, text)
    if get_form and "data-language-switch" not in text:
        text += f'<input type="hidden" name="{languages.QUERY_PARAMETER}" value="{code}">'
    return text


class LanguageMiddleware:
    """In place of django.middleware.locale.LocaleMiddleware (the site uses no i18n_patterns)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        query = ""
        if "lang=" in request.META.get("QUERY_STRING", ""):
            query = request.GET.get(languages.QUERY_PARAMETER, "")
        choice = languages.negotiate(
            query,
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
        translation.activate(choice.interface)
        request.LANGUAGE_CODE = choice.interface
        request.language_choice = choice  # type: ignore[attr-defined]
        response = self.get_response(request)
        if not (choice.in_url and choice.in_url == choice.interface == choice.requested):
            # Only a ready language named in the URL decides alone: such a page is its own
            # URL, the same whatever the browser's languages (lib/sharedcache.py).
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", choice.interface)
        if choice.in_url:
            self._keep(response, choice.in_url)
        return response

    @staticmethod
    def _keep(response: HttpResponseBase, code: str) -> None:
        location = response.get("Location")
        if location and 300 <= response.status_code < 400:
            site = settings.SITE_URL
            if location.startswith(site + "/"):
                location = site + with_language(location[len(site) :], code, escaped=False)
            response["Location"] = with_language(location, code, escaped=False)
            return
        if (
            not isinstance(response, HttpResponse)
            or not response.get("Content-Type", "").startswith("text/html")
            or response.has_header("Content-Encoding")
        ):
            return
        charset = response.charset
        content = keep_in_links(response.content.decode(charset), code).encode(charset)
        response.content = content
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(content))

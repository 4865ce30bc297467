"""Which language a visitor asked for, and which one the interface can honestly be shown in.

settings.LANGUAGES are the coalition's ten languages: a petition text may be written in
any of them. The interface is *ready* in a language when its catalogue exists,
``<LOCALE_PATHS>/<locale>/LC_MESSAGES/django.mo`` (``locale/ko/...``, ``locale/zh_Hant/...``);
English, the language of the source strings, always is. Adding a compiled catalogue is all
it takes to offer a language: nothing else lists them.

A request names its languages, strongest first, in ``?lang=`` (a shared link), the language
cookie (Django's set_language view) and Accept-Language. negotiate() takes the first of them
that is one of the ten as the *requested* language (petition texts are chosen by it), and
the first that is interface-ready as the *interface* language, English when none is. The
page is marked with the interface language (``<html lang>``), never with one it is not in;
when the two differ the page says so (templates/base.html). Django's own check_for_language
is not used for this: Django ships Japanese catalogues of its own, so it would call Japanese
available although none of our strings are translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import to_locale
from django.utils.translation.trans_real import parse_accept_lang_header

QUERY_PARAMETER = "lang"
# Longer headers are cut at a comma before this length (as Django does), so that the cache
# of negotiate() holds only short keys.
ACCEPT_LANGUAGE_MAX_LENGTH = 500
TAG_MAX_LENGTH = 35


@lru_cache(maxsize=1)
def configured() -> tuple[str, ...]:
    """The codes of settings.LANGUAGES, in their order (lower case, as Django spells them)."""
    return tuple(code.lower() for code, _name in settings.LANGUAGES)


@lru_cache(maxsize=1)
def interface_languages() -> tuple[str, ...]:
    """The configured languages the interface can be shown in, in settings order.

    Read once per process from the locale directories; the catalogues do not change while
    the site runs (a new one arrives with a deployment, which restarts the processes).
    """
    source = settings.LANGUAGE_CODE.lower()
    ready = []
    for code in configured():
        catalogue = Path("LC_MESSAGES") / "django.mo"
        if code == source or any(
            (Path(base) / to_locale(code) / catalogue).is_file() for base in settings.LOCALE_PATHS
        ):
            ready.append(code)
    return tuple(ready)


def is_interface_ready(code: str) -> bool:
    return code in interface_languages()


@lru_cache(maxsize=512)
def supported(code: str) -> str | None:
    """The configured language a language tag stands for, or None.

    ``zh-TW``, ``zh-HK`` and ``zh-Hant-TW`` are Traditional Chinese; ``zh-CN`` and bare ``zh``
    Simplified; ``pt-BR`` Portuguese; ``es-419`` Spanish: subtags are dropped from the end
    until a configured language (or Django's fallback for it) matches.
    """
    languages = configured()
    tag = code.strip().lower().replace("_", "-")
    if not tag or len(tag) > TAG_MAX_LENGTH:
        return None
    while tag:
        if tag in languages:
            return tag
        for fallback in LANG_INFO.get(tag, {}).get("fallback", ()):
            if fallback in languages:
                return str(fallback)
        if "-" not in tag:
            # A bare macrolanguage ("zh"): its first configured variant, as Django does.
            return next(
                (language for language in languages if language.startswith(tag + "-")), None
            )
        tag = tag.rpartition("-")[0]
    return None


@dataclass(frozen=True)
class Choice:
    requested: str  # one of settings.LANGUAGES: what the visitor asked for first
    interface: str  # what the interface is shown in (interface-ready)
    in_url: str = ""  # the language named by ?lang=, kept in the links of the page

    @property
    def falls_back(self) -> bool:
        """The visitor asked for a language the interface is not available in."""
        return self.requested != self.interface


def _candidates(query: str, cookie: str, accept: str) -> Iterable[str]:
    if query:
        yield query
    if cookie:
        yield cookie
    for tag, _quality in parse_accept_lang_header(accept[:1000]):
        if tag != "*":
            yield tag


def negotiate(query: str, cookie: str, accept: str) -> Choice:
    """The requested and the interface language of a request (see the module's docstring).

    query is the value of ?lang= ("" when absent), cookie that of the language cookie.
    """
    if len(accept) > ACCEPT_LANGUAGE_MAX_LENGTH:
        accept = accept[: max(0, accept.rfind(",", 0, ACCEPT_LANGUAGE_MAX_LENGTH))]
    return _negotiate(query[:TAG_MAX_LENGTH], cookie[:TAG_MAX_LENGTH], accept)


@lru_cache(maxsize=1024)
def _negotiate(query: str, cookie: str, accept: str) -> Choice:
    requested = interface = ""
    for candidate in _candidates(query, cookie, accept):
        code = supported(candidate)
        if code is None:
            continue
        requested = requested or code
        if is_interface_ready(code):
            interface = code
            break
    interface = interface or settings.LANGUAGE_CODE.lower()
    in_url = (supported(query) or "") if query else ""
    return Choice(requested=requested or interface, interface=interface, in_url=in_url)


@receiver(setting_changed)
def _forget(setting: str, **kwargs: object) -> None:
    if setting in {"LANGUAGES", "LOCALE_PATHS", "LANGUAGE_CODE"}:
        for function in (configured, interface_languages, supported, _negotiate):
            function.cache_clear()


def content_language(request: HttpRequest, available: Iterable[str]) -> str | None:
    """Of the languages a text exists in, the one to show with this request.

    The requested language when there is a text in it (a petition written in Japanese is
    shown in Japanese, inside an English interface), else the interface language; None
    when there is neither, for the caller's own default. The template marks such a text
    with its own lang attribute.
    """
    choice = getattr(request, "language_choice", None)
    if not isinstance(choice, Choice):
        return None
    have = set(available)
    return next((code for code in (choice.requested, choice.interface) if code in have), None)

"""Public pages a shared cache may keep; everything a logged-in person sees, it may not.

On the day a petition goes viral most requests are the same few pages fetched by people
who have no cookie of ours. Those pages (settings.PUBLIC_CACHE_PAGES, by URL name) are
made the same for every such visitor: their forms carry a signed token instead of the CSRF
cookie (lib/formtokens.py), and nothing on them reads the session. SharedCacheMiddleware
then marks a successful GET of one of them ``Cache-Control: public, max-age=0,
s-maxage=PUBLIC_CACHE_SECONDS``: a shared cache keeps it for that long (and serves the
expired copy while it fetches a fresh one, deploy/nginx/), while a browser asks again
each time, so a person who just signed or confirmed never sees their own browser's old
copy (a page that set its own public lifetime, such as the share picture, keeps it),
drops the
``Vary: Cookie`` that looking at an empty session adds, and takes the nonce out of the
policy's ``script-src``: a nonce that a cache hands to many visitors must not authorise a
script (public pages load theirs from files; the inline styles of the maps keep it).

It is never public when the answer is per visitor:

* the request carries the session, language or message cookie (a logged-in organiser, a
  visitor who chose a language with Django's switch, a pending notice): answered
  ``private, no-store``, and a shared cache is told to pass such requests by
  (deploy/nginx/safepassage-cache.conf);
* the answer sets a cookie (for instance a page that still used ``{% csrf_token %}``), or
  is not a 200: left as it is, with ``private`` added, so nothing shared keeps it.

Any other answer to a request with the session cookie (the team pages, the admin) gets
``private, no-store`` unless its view chose otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

Handler = Callable[[HttpRequest], HttpResponseBase]

_SCRIPT_NONCE = re.compile(r"(script-src[^;]*?)\s+'nonce-[^']*'")
_PUBLIC = re.compile(r"\bpublic\b")


def per_visitor_cookies() -> tuple[str, ...]:
    """The cookies whose presence makes a page differ from visitor to visitor."""
    return (settings.SESSION_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME, CookieStorage.cookie_name)


def without_vary_cookie(response: HttpResponseBase) -> None:
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in vary if v.lower() != "cookie"]
    if kept:
        response["Vary"] = ", ".join(kept)
    elif "Vary" in response:
        del response["Vary"]


def without_script_nonce(response: HttpResponseBase) -> None:
    policy = response.get("Content-Security-Policy")
    if policy and "'nonce-" in policy:
        response["Content-Security-Policy"] = _SCRIPT_NONCE.sub(r"\1", policy)


class SharedCacheMiddleware:
    """Placed above the Content-Security-Policy middleware: it sees the final headers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.pages = frozenset(settings.PUBLIC_CACHE_PAGES)
        self.cookies = per_visitor_cookies()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        listed = match is not None and match.view_name in self.pages
        per_visitor = any(name in request.COOKIES for name in self.cookies)
        if per_visitor:
            if settings.SESSION_COOKIE_NAME in request.COOKIES and (
                listed or "Cache-Control" not in response
            ):
                response["Cache-Control"] = "private, no-store"
            elif listed:
                response["Cache-Control"] = "private, no-cache"
            return response
        if not listed or request.method not in ("GET", "HEAD"):
            return response
        if response.status_code != 200 or response.cookies:
            cache_control = response.get("Cache-Control", "")
            response["Cache-Control"] = (
                _PUBLIC.sub("private", cache_control) if cache_control else "private, no-cache"
            )
            return response
        if "max-age" in response.get("Cache-Control", ""):
            patch_cache_control(response, public=True)
        else:
            # No stale-while-revalidate here: browsers honour it too and would show an
            # old page (an old count) to the person who just signed.
            patch_cache_control(
                response, public=True, max_age=0, s_maxage=settings.PUBLIC_CACHE_SECONDS
            )
        without_vary_cookie(response)
        without_script_nonce(response)
        return response

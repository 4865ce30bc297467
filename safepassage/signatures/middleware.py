"""The live counter's polls, answered before the middleware a counter does not need.

Every open signing page polls ``/p/<slug>/count.json``; on a busy day of
action that is most of the site's traffic. The answer is the same for
everyone: it reads no cookie and sets none, has no translated text and no
form. So this middleware, placed right after SecurityMiddleware (whose
headers it still gets), answers those requests itself and skips sessions,
locale, CSRF, authentication, history and messages. Any other request, and
any method but GET and HEAD, goes down the usual chain, where the same URL
is routed to ``views.count``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from safepassage.signatures.views.signing import counter_response

COUNTER_PATH = re.compile(r"/p/(?P<slug>[-a-zA-Z0-9_]+)/count\.json")


class CounterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = COUNTER_PATH.fullmatch(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused here as CommonMiddleware would
        return counter_response(match["slug"])

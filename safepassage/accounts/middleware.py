"""Session limits, the second factor and the change history's author, for every page.

For staff and role holders: a session idle longer than STAFF_SESSION_IDLE_SECONDS
or older than STAFF_SESSION_MAX_SECONDS is logged out and sent to the login page.
An account that must pass a second factor (security.second_factor_enforced), or
has enrolled one, reaches only the second-factor pages and logout until it has
passed it in this session; one without a device is sent to enrol.

Both middleware classes here look at a request only when it carries a session
cookie: without one nobody can be signed in, and the answer is the anonymous
one without loading the user (a signature, a public page). HistoryUserMiddleware
is django-simple-history's, which records who changed an audited model, under
that condition: an anonymous change has no author to record either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from simple_history.middleware import HistoryRequestMiddleware

from safepassage.accounts import security
from safepassage.accounts.models import AuthEvent

# Paths an account that has not passed its second factor may still reach.
OPEN_PREFIXES = ("/team/2fa/", "/team/logout/", "/admin/logout/", "/i18n/", "/static/")


def _login_url(request: HttpRequest) -> str:
    login = "/admin/login/" if request.path.startswith("/admin/") else reverse("accounts:login")
    return f"{login}?{urlencode({'next': request.get_full_path()})}"


def may_be_signed_in(request: HttpRequest) -> bool:
    """Whether the request carries a session cookie: without one, ``request.user`` is anonymous."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_be_signed_in(request):
            return self.get_response(request)
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            answer = self._check(request, user)
            if answer is not None:
                return answer
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        if security.has_session_policy(user):
            now = time.time()
            seen = request.session.get(security.SEEN_AT)
            started = request.session.get(security.AUTH_AT)
            idle = (
                not isinstance(seen, int | float)
                or now - seen > settings.STAFF_SESSION_IDLE_SECONDS
            )
            old = (
                not isinstance(started, int | float)
                or now - started > settings.STAFF_SESSION_MAX_SECONDS
            )
            if idle or old:
                security.record(
                    AuthEvent.Kind.EXPIRED, request, user=user, detail="idle" if idle else "age"
                )
                logout(request)
                return HttpResponseRedirect(_login_url(request))
            request.session[security.SEEN_AT] = now
        if security.is_verified(request) or request.path.startswith(OPEN_PREFIXES):
            return None
        enforced = security.second_factor_enforced(user)
        enrolled = security.has_second_factor(user)
        if not enforced and not enrolled:
            return None
        target = "accounts:second_factor" if enrolled else "accounts:two_factor_setup"
        if request.path.startswith("/api/") and not request.path.startswith("/api/tokens/"):
            # The JSON API answers with its own error shape.
            return JsonResponse({"detail": "second factor required"}, status=403)
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        return HttpResponseRedirect(url)


class HistoryUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.with_history = HistoryRequestMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if may_be_signed_in(request):
            return self.with_history(request)  # type: ignore[no-any-return]
        return self.get_response(request)

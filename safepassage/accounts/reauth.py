"""Fresh authentication before the most sensitive actions.

``reauth_required`` wraps a view (or, through ``reauth_required_action``, an
admin action): unless the person typed their password and passed their second
factor within the last REAUTH_SECONDS, they are sent to the re-authentication
page and come back afterwards. A POST is not replayed: they return to the page
they came from and submit again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from safepassage.accounts.security import recently_reauthenticated

__all__ = [
    "reauth_redirect",
    "reauth_required",
    "reauth_required_action",
    "recently_reauthenticated",
]

View = TypeVar("View", bound=Callable[..., Any])


def _come_back_to(request: HttpRequest) -> str:
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(referer)
    return "/team/"


def reauth_redirect(request: HttpRequest) -> HttpResponse:
    url = f"{reverse('accounts:reauth')}?{urlencode({'next': _come_back_to(request)})}"
    return HttpResponseRedirect(url)


def reauth_required(view: View) -> View:
    """Let the view run only after a recent password + second-factor check."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated or recently_reauthenticated(request):
            # Anonymous requests go on to the view's own login check.
            return view(request, *args, **kwargs)
        return reauth_redirect(request)

    return wrapped  # type: ignore[return-value]


def reauth_required_action(action: View) -> View:
    """The same for an admin action ``(modeladmin, request, queryset)`` or a method."""

    @functools.wraps(action)
    def wrapped(modeladmin: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if recently_reauthenticated(request):
            return action(modeladmin, request, *args, **kwargs)
        return reauth_redirect(request)

    return wrapped  # type: ignore[return-value]

"""Signed form tokens: cross-site request protection for public forms without a cookie.

The public pages (the signing form, an event's RSVP form, the embedded signing form) are
the same for every visitor, so that a shared cache can serve them (docs/deployment.md,
"A cache in front"). Django's CSRF protection would need a cookie per visitor and a token
derived from it in the page. These forms carry a token instead that names what the form
is for (a petition, an event) and when the page was made, signed with SECRET_KEY; a POST
is accepted when

* the token is genuine, for this petition or event, and younger than its time window; and
* the request comes from one of our own pages: the browser's ``Origin`` header (sent with
  every form POST by the browsers of the last years) is one of ours, or, where a browser
  sent none, its ``Referer`` is (our Referrer-Policy sends it to our own origin); over
  HTTPS a POST with neither is refused, as Django's own check refuses it.

docs/security.md, "Forms without a cookie", explains why this is as strong as the cookie.
Django's test client marks its requests as exempt from CSRF checks unless a test asks for
them (``Client(enforce_csrf_checks=True)``); the check here honours that mark the same way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

FIELD = "form_token"
# How long a shown form can still be sent: long enough to read a petition first.
SECONDS = 6 * 3600


def issue(salt: str, value: str) -> str:
    """A token naming ``value`` (what the form is for) and the time, signed (no cookie)."""
    return signing.TimestampSigner(salt=salt).sign(value)


def value_of(salt: str, token: str, max_age: int = SECONDS) -> str | None:
    """The value a posted token names; None when forged, of another form, or stale."""
    try:
        return signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None


def own_origins(request: HttpRequest) -> set[str]:
    """This site's origin as the browser sees it, and the trusted origins of the settings."""
    scheme = "https" if request.is_secure() else "http"
    return {f"{scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}


def same_origin_post(request: HttpRequest) -> bool:
    """Whether the POST came from a page of ours (Origin, else Referer; see the docstring)."""
    origins = own_origins(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in origins
    referer = request.headers.get("Referer")
    if referer is not None:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in origins
    return not request.is_secure()


def checks_skipped(request: HttpRequest) -> bool:
    """Django's test client without enforce_csrf_checks: the mark CsrfViewMiddleware honours."""
    return bool(getattr(request, "_dont_enforce_csrf_checks", False))


def accepted(request: HttpRequest, salt: str, value: str, max_age: int = SECONDS) -> bool:
    """Whether a POST carries a valid token for ``value`` and comes from our own pages."""
    if checks_skipped(request):
        return True
    token = request.POST.get(FIELD, "")
    return value_of(salt, token, max_age) == value and same_origin_post(request)

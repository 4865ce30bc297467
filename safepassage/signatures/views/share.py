"""The share card's picture (``og:image``): ``/p/<slug>/share.png?lang=xx``.

A crawler fetching it sends no cookie and often no Accept-Language: the
language comes from ``?lang=`` (the page's own tags name it), else the
request's. The same picture for everybody, so shared caches may keep it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from safepassage.campaigns.models import public_petition
from safepassage.signatures import counter
from safepassage.signatures.shareimage import share_image

# Browsers and crawlers may keep the picture this long; the count on it is rounded anyway.
MAX_AGE = 600


def requested_language(request: HttpRequest) -> str:
    """``?lang=`` when it names one of the site's languages, else the request's language."""
    wanted = request.GET.get("lang", "").lower()
    codes = {code.lower() for code, _name in settings.LANGUAGES}
    if wanted in codes:
        return wanted
    return translation.get_language() or settings.LANGUAGE_CODE


@require_GET
def image(request: HttpRequest, slug: str) -> HttpResponse:
    petition = public_petition(slug)
    if petition is None:
        raise Http404
    language = requested_language(request)
    site = urlsplit(settings.SITE_URL).netloc or request.get_host()
    with translation.override(language):
        png = share_image(petition, language, counter.confirmed_count(petition), site)
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    response["Content-Length"] = str(len(png))
    return response

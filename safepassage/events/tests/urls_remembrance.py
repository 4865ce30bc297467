"""The site's URLs plus the remembrance pages, for the remembrance tests.

The admin is mounted again first so that its URLs are built after the
remembrance admin is registered (the test module imports it), whenever the
site's own URLconf happened to be imported.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from safepassage.urls import urlpatterns as site_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [path("admin/", admin.site.urls)]
urlpatterns += site_urlpatterns
if not any(getattr(pattern, "namespace", None) == "remembrance" for pattern in site_urlpatterns):
    urlpatterns.append(path("", include("safepassage.events.remembrance_urls")))

from django.urls import URLPattern, URLResolver, path, re_path

from safepassage.api import views
from safepassage.api.main import api
from safepassage.api.osdi import osdi_api

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/tokens/", views.tokens, name="tokens"),
    path("api/tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("api/docs", views.docs, name="docs"),
    path("api/docs/", views.docs),
    # The index the README points to: where the description and the docs are.
    path("api/", views.index, name="index"),
    path("api", views.index),
    # The OSDI read API (api/osdi.py, docs/osdi.md), before the catch-all.
    path("api/osdi/v1/", osdi_api.urls),
    path("api/", api.urls),
    # Anything else under /api/ answers in JSON too, not with the site's HTML page.
    re_path(r"^api(?:/.*)?$", views.not_found, name="not_found"),
]

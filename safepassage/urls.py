"""The site's addresses: one urls.py per app, under the app's own prefix where it has one.

Mounted at the root are only the apps whose addresses cannot share one
prefix: their public paths begin with different segments that are already
in sent mails, on printed QR codes, on partner websites and in API clients
(signatures: p/ and s/; reports and letters: c/ and more; events: events/,
e/ and r/), or their patterns carry their prefix themselves (api: "/api"
without a slash answers in JSON too; core: the home page, /healthz and the
like). Organiser pages of an app live under team/<campaign>/ in that app's
urls.py; accounts (sign-in, second factor) and team (invitations,
dashboards) have team/ as their prefix. A public path that has to change keeps
answering with a permanent redirect (docs/architecture.md, "Addresses").
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # First: the signing form is the busiest page, and every pattern tried before it costs.
    path("", include("safepassage.signatures.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Passkeys (django-otp-webauthn); its JavaScript reverses the "otp_webauthn" names.
    path("team/2fa/webauthn/", include("safepassage.accounts.webauthn_urls")),
    path("team/<slug:slug>/packets/", include("safepassage.packets.urls")),
    path("missions/", include("safepassage.directory.urls")),
    path("deliveries/", include("safepassage.deliveries.urls")),
    path("exports/", include("safepassage.exports.urls")),
    path("mail/", include("safepassage.outbox.urls")),
    path("", include("safepassage.updates.urls")),
    path("", include("safepassage.webhooks.urls")),
    path("", include("safepassage.reports.urls")),
    path("", include("safepassage.events.urls")),
    path("", include("safepassage.letters.urls")),
    path("", include("safepassage.api.urls")),
    path("team/", include("safepassage.accounts.urls")),
    path("team/", include("safepassage.team.urls")),
    path("", include("safepassage.core.urls")),
]

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Passkeys (django-otp-webauthn); its JavaScript reverses the "otp_webauthn" names.
    path("team/2fa/webauthn/", include("safepassage.accounts.webauthn_urls")),
    # First: the signing form is the busiest page, and every pattern tried before it costs.
    path("", include("safepassage.signatures.urls")),
    path("", include("safepassage.core.urls")),
    path("", include("safepassage.directory.urls")),
    path("", include("safepassage.events.urls")),
    path("", include("safepassage.events.remembrance_urls")),
    path("", include("safepassage.deliveries.urls")),
    path("", include("safepassage.accounts.urls")),
    path("", include("safepassage.reports.urls")),
    path("", include("safepassage.api.urls")),
    path("", include("safepassage.exports.urls")),
    path("", include("safepassage.letters.urls")),
    path("", include("safepassage.packets.urls")),
    path("", include("safepassage.letters.personal_urls")),
    path("", include("safepassage.signatures.moderation_urls")),
    path("", include("safepassage.reports.report_urls")),
    path("", include("safepassage.letters.public_urls")),
    path("", include("safepassage.reports.presskit_urls")),
]

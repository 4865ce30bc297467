"""Addresses of the press kit editor and its PDFs; included at the site root."""

from django.urls import path

from safepassage.reports import presskit_views

app_name = "presskit"

urlpatterns = [
    path("team/<slug:campaign>/press-kit/", presskit_views.edit, name="edit"),
    path(
        "team/<slug:campaign>/press-kit/press-release.pdf",
        presskit_views.press_release_pdf,
        name="press_release",
    ),
    path("team/<slug:campaign>/press-kit/flyer.pdf", presskit_views.flyer_pdf, name="flyer"),
    # Published by the organisers: public, for journalists and volunteers.
    path(
        "c/<slug:campaign>/press-release.pdf",
        presskit_views.public_press_release,
        name="public_press_release",
    ),
    path("c/<slug:campaign>/flyer.pdf", presskit_views.public_flyer, name="public_flyer"),
]

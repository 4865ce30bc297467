"""Addresses of the after-action report; included at the site root."""

from django.urls import path

from safepassage.reports import report_views

app_name = "report"

urlpatterns = [
    path("c/<slug:slug>/report/", report_views.public, name="public"),
    path("c/<slug:slug>/report.pdf", report_views.pdf, name="pdf"),
    path("c/<slug:slug>/report/photos/<int:evidence_id>/", report_views.photo, name="photo"),
    path("team/<slug:campaign>/report/", report_views.edit, name="edit"),
]

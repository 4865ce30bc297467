"""The reports app's addresses, mounted at the site root (safepassage/urls.py).

The public campaign page, the after-action report and the published press
kit are linked from partner websites, printed flyers and the JSON API: their
paths stay as they are. The editors are the organisers'.
"""

from django.urls import path

from safepassage.reports.views import campaign, presskit, report

app_name = "reports"

urlpatterns = [
    path("c/<slug:slug>/", campaign.campaign, name="campaign"),
    path("c/<slug:slug>/report/", report.public, name="report"),
    path("c/<slug:slug>/report.pdf", report.pdf, name="report_pdf"),
    path("c/<slug:slug>/report/photos/<int:evidence_id>/", report.photo, name="report_photo"),
    # Published by the organisers: public, for journalists and volunteers.
    path(
        "c/<slug:campaign>/press-release.pdf",
        presskit.public_press_release,
        name="press_release",
    ),
    path("c/<slug:campaign>/flyer.pdf", presskit.public_flyer, name="flyer"),
    # The organisers' editors.
    path("team/<slug:campaign>/report/", report.edit, name="report_edit"),
    path("team/<slug:campaign>/press-kit/", presskit.edit, name="press_kit"),
    path(
        "team/<slug:campaign>/press-kit/press-release.pdf",
        presskit.press_release_pdf,
        name="press_kit_release",
    ),
    path("team/<slug:campaign>/press-kit/flyer.pdf", presskit.flyer_pdf, name="press_kit_flyer"),
]

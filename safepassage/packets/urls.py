"""The packet pages, mounted under team/<campaign>/packets/ (safepassage/urls.py).

Organisers: everything; coordinators: download and build again their own missions' packets.
"""

from django.urls import path

from safepassage.packets import views

app_name = "packets"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:build_id>/", views.detail, name="build"),
    path("<int:build_id>/interrupt/", views.interrupt, name="interrupt"),
    path("<int:build_id>/resume/", views.resume, name="resume"),
    path("<int:build_id>/zip/", views.download_zip, name="zip"),
    path("<int:build_id>/<int:packet_id>/pdf/", views.download_packet, name="packet"),
    path(
        "<int:build_id>/mission/<int:mission_id>/build/",
        views.build_mission,
        name="build-mission",
    ),
    path("sharing/", views.sharing, name="sharing"),
]

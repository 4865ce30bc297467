from django.urls import path

from safepassage.packets import views

app_name = "packets"

urlpatterns = [
    path("team/<slug:slug>/packets/", views.index, name="index"),
    path("team/<slug:slug>/packets/<int:build_id>/", views.detail, name="build"),
    path("team/<slug:slug>/packets/<int:build_id>/interrupt/", views.interrupt, name="interrupt"),
    path("team/<slug:slug>/packets/<int:build_id>/resume/", views.resume, name="resume"),
    path("team/<slug:slug>/packets/<int:build_id>/zip/", views.download_zip, name="zip"),
    path(
        "team/<slug:slug>/packets/<int:build_id>/<int:packet_id>/pdf/",
        views.download_packet,
        name="packet",
    ),
]

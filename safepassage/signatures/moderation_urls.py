"""The organisers' moderation page; included at the site root."""

from django.urls import path

from safepassage.signatures import moderation_views as views

app_name = "moderation"

urlpatterns = [
    path("team/<slug:campaign>/moderation/", views.index, name="index"),
    path("team/<slug:campaign>/moderation/names/", views.names, name="names"),
    path("team/<slug:campaign>/moderation/invalidate/", views.invalidate, name="invalidate"),
    path(
        "team/<slug:campaign>/moderation/<int:pk>/reverse/",
        views.reverse_action,
        name="reverse",
    ),
]

"""The webhooks app's addresses: the organisers' pages of a campaign's endpoints."""

from django.urls import path

from safepassage.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("team/<slug:campaign>/webhooks/", views.index, name="index"),
    path("team/<slug:campaign>/webhooks/new/", views.create, name="create"),
    path("team/<slug:campaign>/webhooks/<int:pk>/", views.endpoint, name="endpoint"),
    path("team/<slug:campaign>/webhooks/<int:pk>/delete/", views.delete, name="delete"),
    path(
        "team/<slug:campaign>/webhooks/<int:pk>/replay/<int:delivery>/",
        views.replay,
        name="replay",
    ),
]

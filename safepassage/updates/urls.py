"""The updates app's addresses: the organisers' pages and the unsubscribe link in every update."""

from django.urls import path

from safepassage.updates import views

app_name = "updates"

urlpatterns = [
    path("team/<slug:campaign>/updates/", views.index, name="index"),
    path("team/<slug:campaign>/updates/from-report/", views.from_report, name="from_report"),
    path("team/<slug:campaign>/updates/<int:pk>/", views.edit, name="edit"),
    path("team/<slug:campaign>/updates/<int:pk>/test/", views.test, name="test"),
    path("team/<slug:campaign>/updates/<int:pk>/send/", views.send, name="send"),
    # In every update mail (List-Unsubscribe): the path stays as it is.
    path("unsubscribe/<str:kind>/<str:ref>/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

"""The public directory of missions, mounted under missions/ (safepassage/urls.py)."""

from django.urls import path

from safepassage.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:sending_state>/", views.missions, name="missions"),
    path("<str:sending_state>/find/", views.find, name="find"),
    path("<str:sending_state>/map.svg", views.map_svg, name="map"),
]

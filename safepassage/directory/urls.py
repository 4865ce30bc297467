from django.urls import path

from safepassage.directory import views

app_name = "directory"

urlpatterns = [
    path("missions/", views.index, name="index"),
    path("missions/<str:sending_state>/", views.missions, name="missions"),
    path("missions/<str:sending_state>/find/", views.find, name="find"),
    path("missions/<str:sending_state>/map.svg", views.map_svg, name="map"),
]

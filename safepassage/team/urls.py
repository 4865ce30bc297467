from django.urls import path

from safepassage.team import views

app_name = "team"

urlpatterns = [
    path("", views.index, name="index"),
    path("invite/<slug:campaign>/", views.invite, name="invite"),
    path("join/<uuid:token>/", views.join, name="join"),
    path("<slug:campaign>/dashboard/", views.dashboard, name="dashboard"),
    path("<slug:campaign>/board/", views.board, name="board"),
]

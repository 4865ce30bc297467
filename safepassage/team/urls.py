from django.urls import path

from safepassage.team import views

app_name = "team"

urlpatterns = [
    path("team/", views.index, name="index"),
    path("team/invite/<slug:campaign>/", views.invite, name="invite"),
    path("team/join/<uuid:token>/", views.join, name="join"),
    path("team/<slug:campaign>/dashboard/", views.dashboard, name="dashboard"),
    path("team/<slug:campaign>/board/", views.board, name="board"),
]

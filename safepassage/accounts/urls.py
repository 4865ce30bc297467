from django.urls import path

from safepassage.accounts import views

app_name = "accounts"

urlpatterns = [
    path("team/", views.index, name="index"),
    path("team/login/", views.TeamLoginView.as_view(), name="login"),
    path("team/logout/", views.TeamLogoutView.as_view(), name="logout"),
    path("team/invite/<slug:campaign>/", views.invite, name="invite"),
    path("team/join/<uuid:token>/", views.join, name="join"),
    path("team/<slug:campaign>/dashboard/", views.dashboard, name="dashboard"),
    path("team/<slug:campaign>/board/", views.board, name="board"),
]

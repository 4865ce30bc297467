from django.urls import path

from safepassage.team import views, views_directory

app_name = "team"

urlpatterns = [
    path("", views.index, name="index"),
    path("invite/<slug:campaign>/", views.invite, name="invite"),
    path("join/<uuid:token>/", views.join, name="join"),
    path("<slug:campaign>/dashboard/", views.dashboard, name="dashboard"),
    path("<slug:campaign>/board/", views.board, name="board"),
    path(
        "<slug:campaign>/directory/",
        views_directory.directory_missions,
        name="directory_missions",
    ),
    path(
        "<slug:campaign>/directory/<int:pk>/",
        views_directory.directory_mission,
        name="directory_mission",
    ),
    path(
        "<slug:campaign>/directory/<int:pk>/propose/",
        views_directory.directory_propose,
        name="directory_propose",
    ),
    path(
        "<slug:campaign>/directory/proposals/",
        views_directory.directory_queue,
        name="directory_queue",
    ),
    path(
        "<slug:campaign>/directory/proposals/<int:pk>/",
        views_directory.directory_proposal,
        name="directory_proposal",
    ),
    path(
        "<slug:campaign>/directory/proposals/<int:pk>/photo/",
        views_directory.directory_photo,
        name="directory_photo",
    ),
    path(
        "<slug:campaign>/directory/freshness/",
        views_directory.directory_freshness,
        name="directory_freshness",
    ),
    path(
        "<slug:campaign>/directory/corrections.csv",
        views_directory.directory_corrections,
        name="directory_corrections",
    ),
]

from django.urls import URLPattern, path

from safepassage.exports import views

app_name = "exports"

urlpatterns: list[URLPattern] = [
    path("exports/<slug:slug>/", views.index, name="index"),
    path("exports/<slug:slug>/import/", views.import_upload, name="import"),
    path("exports/<slug:slug>/import/<uuid:upload>/", views.import_map, name="import_map"),
    path(
        "exports/<slug:slug>/<str:kind>.<str:fmt>",
        views.download,
        name="download",
    ),
]

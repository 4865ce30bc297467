"""The organisers' exports and imports, mounted under exports/ (safepassage/urls.py)."""

from django.urls import URLPattern, path

from safepassage.exports import osdi_views, views

app_name = "exports"

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/", views.index, name="index"),
    path("<slug:slug>/import/", views.import_upload, name="import"),
    path("<slug:slug>/import/duplicates/", views.paper_duplicates, name="duplicates"),
    path("<slug:slug>/import/osdi/", osdi_views.upload, name="import_osdi"),
    path("<slug:slug>/import/osdi/<uuid:upload>/", osdi_views.check, name="import_osdi_check"),
    path("<slug:slug>/import/<uuid:upload>/", views.import_map, name="import_map"),
    path("<slug:slug>/<str:kind>.<str:fmt>", views.download, name="download"),
]

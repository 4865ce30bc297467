"""The organiser's remembrance pages; included at the site root."""

from django.urls import path

from safepassage.events import remembrance_views as views

app_name = "remembrance"

urlpatterns = [
    path("remembrance/<slug:slug>/", views.reading_page, name="page"),
    path("remembrance/<slug:slug>/reading-script.pdf", views.reading_pdf, name="pdf"),
    path("remembrance/<slug:slug>/import/", views.import_page, name="import"),
]

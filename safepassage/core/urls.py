from django.urls import path

from safepassage.core import rollover_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("geo/subdivisions/<str:country>.json", views.subdivisions, name="subdivisions"),
    path("demo/mail/", views.demo_mail, name="demo-mail"),
    path("team/<slug:campaign>/next-year/", rollover_views.next_year, name="next_year"),
]

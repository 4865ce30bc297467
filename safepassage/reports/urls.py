from django.urls import path

from safepassage.reports import views

app_name = "reports"

urlpatterns = [
    path("c/<slug:slug>/", views.campaign, name="campaign"),
]

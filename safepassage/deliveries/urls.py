"""The deliveries pages, mounted under deliveries/ (safepassage/urls.py)."""

from django.urls import path

from safepassage.deliveries import views

app_name = "deliveries"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/evidence/", views.add_evidence, name="evidence"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence-file"),
    path(
        "<int:pk>/evidence/<int:evidence_id>/publish/",
        views.evidence_publish,
        name="evidence-publish",
    ),
    path("<int:pk>/response/", views.add_response, name="response"),
    path("<int:pk>/response/<int:response_id>/scan/", views.response_scan, name="response-scan"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/packet/", views.sent_packet, name="packet"),
    path("<slug:slug>/", views.campaign_deliveries, name="campaign"),
]

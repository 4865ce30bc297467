from django.urls import path

from safepassage.deliveries import views

app_name = "deliveries"

urlpatterns = [
    path("deliveries/", views.index, name="index"),
    path("deliveries/<int:pk>/", views.detail, name="detail"),
    path("deliveries/<int:pk>/evidence/", views.add_evidence, name="evidence"),
    path(
        "deliveries/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_file,
        name="evidence-file",
    ),
    path(
        "deliveries/<int:pk>/evidence/<int:evidence_id>/publish/",
        views.evidence_publish,
        name="evidence-publish",
    ),
    path("deliveries/<int:pk>/response/", views.add_response, name="response"),
    path(
        "deliveries/<int:pk>/response/<int:response_id>/scan/",
        views.response_scan,
        name="response-scan",
    ),
    path("deliveries/<int:pk>/send/", views.send, name="send"),
    path("deliveries/<int:pk>/packet/", views.sent_packet, name="packet"),
    path("deliveries/<slug:slug>/", views.campaign_deliveries, name="campaign"),
]

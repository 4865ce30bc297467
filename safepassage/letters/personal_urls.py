"""The personal letter tool, reached from a signer's confirmation page."""

from django.urls import path

from safepassage.letters import personal_views

app_name = "personal_letter"

urlpatterns = [
    path("s/<uuid:signature_uuid>/letter/<str:token>/", personal_views.edit, name="edit"),
]

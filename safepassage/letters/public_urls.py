from django.urls import path

from safepassage.letters import public_views

urlpatterns = [
    path(
        "c/<slug:campaign>/documents/<int:pk>/",
        public_views.document,
        name="public-document",
    ),
]

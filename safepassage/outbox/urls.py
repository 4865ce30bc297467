"""The mail provider's webhooks (outbox/webhooks.py), mounted under mail/ (safepassage/urls.py)."""

from django.urls import path

from safepassage.outbox import webhooks

app_name = "outbox"

urlpatterns = [
    path("webhooks/mailgun/tracking/", webhooks.mailgun, name="mailgun_tracking"),
    path("webhooks/postmark/tracking/", webhooks.postmark, name="postmark_tracking"),
]

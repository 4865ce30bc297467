"""The mail provider's bounce and complaint webhooks, verified before anything is read.

django-anymail's tracking views do the verification: Mailgun's webhooks are
signed (HMAC-SHA256 of timestamp and token under the webhook signing key,
``MAILGUN_WEBHOOK_SIGNING_KEY``); Postmark's carry HTTP basic credentials
(``MAIL_WEBHOOK_SECRET``). A webhook whose key or secret is not configured
does not exist (404): no unverified report is ever accepted. The views are
built per request, so that they read the settings as they are.
"""

from __future__ import annotations

from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt


def _anymail(key: str) -> str:
    return str(getattr(settings, "ANYMAIL", {}).get(key) or "")


@csrf_exempt
def mailgun(request: HttpRequest) -> HttpResponse:
    if not _anymail("MAILGUN_WEBHOOK_SIGNING_KEY"):
        raise Http404
    response: HttpResponse = MailgunTrackingWebhookView.as_view()(request)
    return response


@csrf_exempt
def postmark(request: HttpRequest) -> HttpResponse:
    if not _anymail("WEBHOOK_SECRET"):
        raise Http404
    response: HttpResponse = PostmarkTrackingWebhookView.as_view()(request)
    return response

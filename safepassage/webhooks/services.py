"""Endpoints, their secrets, and sending each event: signed, retried, logged, replayable.

Each event becomes one ``Delivery`` per active endpoint of the campaign that
subscribed to it, written in the transaction that made the change; the task
``deliver`` is queued when that transaction commits. A request carries the
JSON body and these headers (docs/webhooks.md):

- ``X-Safepassage-Event``: the event's name;
- ``X-Safepassage-Event-Id``: the same UUID on every attempt and replay;
- ``X-Safepassage-Timestamp``: the Unix time of this attempt;
- ``X-Safepassage-Signature``: ``v1=`` and the hex HMAC-SHA256, under the
  endpoint's secret, of the timestamp, a full stop and the body.

A 2xx answer delivers it. Anything else is tried again after
``WEBHOOK_BACKOFF_SECONDS``, doubling each time, until
``WEBHOOK_MAX_ATTEMPTS`` attempts, then the delivery has failed. A replay
sends the same body with the same event id once more, at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from safepassage.campaigns.models import Campaign
from safepassage.lib import crypto
from safepassage.webhooks import transport
from safepassage.webhooks.models import Attempt, Delivery, Endpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105  (the prefix of every secret, not a secret)
USER_AGENT = "safepassage-webhooks/1"
# The campaigns with an active endpoint, cached: most changes have none to notify.
CAMPAIGNS_KEY = "webhooks:campaigns"
CAMPAIGNS_SECONDS = 60


# --- Endpoints -------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def set_secret(endpoint: Endpoint) -> str:
    """Give the endpoint a new secret; returns it (shown once, then stored encrypted only)."""
    secret = new_secret()
    endpoint.secret_encrypted = crypto.encrypt(secret)
    return secret


def secret_of(endpoint: Endpoint) -> str:
    return crypto.decrypt(endpoint.secret_encrypted)


def create_endpoint(
    campaign: Campaign, url: str, events: Iterable[str], *, description: str = "", user: Any = None
) -> tuple[Endpoint, str]:
    """A new endpoint and its secret, which is shown to the organiser this once."""
    transport.check_url(url)
    endpoint = Endpoint(
        campaign=campaign,
        url=url.strip(),
        events=sorted(set(events)),
        description=description,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    secret = set_secret(endpoint)
    endpoint.save()
    forget_campaigns()
    return endpoint, secret


def forget_campaigns() -> None:
    cache.delete(CAMPAIGNS_KEY)


def campaigns_with_endpoints() -> frozenset[int]:
    cached: frozenset[int] | None = cache.get(CAMPAIGNS_KEY)
    if cached is None:
        cached = frozenset(
            Endpoint.objects.filter(active=True).values_list("campaign_id", flat=True)
        )
        cache.set(CAMPAIGNS_KEY, cached, CAMPAIGNS_SECONDS)
    return cached


# --- Events ----------------------------------------------------------------------------------


def envelope(event_id: str, event: str, campaign: Campaign, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": event,
        "created": timezone.now().isoformat(timespec="seconds"),
        "campaign": {"slug": campaign.slug, "year": campaign.year},
        "data": data,
    }


def record(campaign_id: int, event: str, data: dict[str, Any]) -> list[Delivery]:
    """One delivery per endpoint of the campaign that wants this event, sent after commit."""
    if campaign_id not in campaigns_with_endpoints():
        return []
    endpoints = [
        e
        for e in Endpoint.objects.filter(campaign_id=campaign_id, active=True).select_related(
            "campaign"
        )
        if event in e.events
    ]
    deliveries = []
    for endpoint in endpoints:
        delivery = Delivery(endpoint=endpoint, event=event)
        delivery.payload = envelope(str(delivery.event_id), event, endpoint.campaign, data)
        delivery.save()
        deliveries.append(delivery)
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in ids])
    return deliveries


# --- Sending ---------------------------------------------------------------------------------


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers_for(delivery: Delivery, body: bytes, secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Safepassage-Event": delivery.event,
        "X-Safepassage-Event-Id": str(delivery.event_id),
        "X-Safepassage-Timestamp": timestamp,
        "X-Safepassage-Signature": signature(secret, timestamp, body),
    }


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: the base, doubled each time."""
    return dt.timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


def attempt(delivery: Delivery, *, replay: bool = False) -> Attempt:
    """Send the delivery once, log the attempt, and decide what comes next."""
    endpoint = delivery.endpoint
    body = body_of(delivery)
    result = transport.post(endpoint.url, body, headers_for(delivery, body, secret_of(endpoint)))
    retry_at = None
    with transaction.atomic():
        current = Delivery.objects.select_for_update().get(pk=delivery.pk)
        current.attempts += 1
        logged = Attempt.objects.create(
            delivery=current,
            number=current.attempts,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=result.error,
            response_prefix=result.response_prefix,
            replay=replay,
        )
        if result.ok:
            current.status = Delivery.Status.DELIVERED
            current.delivered_at = timezone.now()
            current.next_attempt_at = None
        elif replay:
            # A failed replay leaves a delivered one delivered and a scheduled retry scheduled.
            if current.status not in (Delivery.Status.DELIVERED, Delivery.Status.RETRYING):
                current.status = Delivery.Status.FAILED
        elif current.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            current.status = Delivery.Status.FAILED
            current.next_attempt_at = None
        else:
            current.status = Delivery.Status.RETRYING
            retry_at = timezone.now() + backoff(current.attempts)
            current.next_attempt_at = retry_at
        current.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
        if retry_at is not None:
            when = retry_at
            transaction.on_commit(lambda: deliver.using(run_after=when).enqueue(delivery.pk))
    logger.info(
        "webhook %s attempt %d to endpoint %s: %s %s",
        delivery.event_id,
        logged.number,
        endpoint.pk,
        result.status_code,
        result.error,
    )
    return logged


@task()
def deliver(delivery_id: int, replay: bool = False) -> str:
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if not replay:
        if delivery.status not in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
            return str(delivery.status)
        if not delivery.endpoint.active:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.FAILED, next_attempt_at=None
            )
            return "endpoint inactive"
    return "ok" if attempt(delivery, replay=replay).succeeded else "failed"


def prune_deliveries(now: dt.datetime | None = None) -> int:
    """Delete finished deliveries older than ``WEBHOOK_LOG_DAYS``, with their attempts."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOK_LOG_DAYS)
    finished = [Delivery.Status.DELIVERED, Delivery.Status.FAILED]
    _, deleted = Delivery.objects.filter(status__in=finished, created_at__lt=cutoff).delete()
    return deleted.get(Delivery._meta.label, 0)


def replay(deliveries: Iterable[Delivery]) -> int:
    """Send these deliveries again (same body, same event id) from the task queue; how many."""
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: [deliver.enqueue(pk, replay=True) for pk in ids])
    return len(ids)

"""What the webhooks do when the apps below announce a change (connected in ready()).

Each payload holds counts and places only (docs/privacy.md, "Webhooks"): a
signer's country and mission, and their region and city only if they let
them be handed over with the petition (``publish_name``, not withheld by
moderation); never their name, address or anything else of them. No consent
scope for partners exists that could allow more. A signature held for review
does not count and is not announced. A delivery's hand-over gives its
mission and status, never the names of who delivered or received it.

- ``signatures.signals.signature_confirmed`` → ``signature.confirmed``
- ``events.signals.rsvp_confirmed`` → ``rsvp.confirmed``
- ``deliveries.signals.delivery_recorded`` → ``delivery.recorded``
- ``reports.signals.report_published`` → ``report.published``
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse

from safepassage.deliveries.models import Delivery as Handover
from safepassage.deliveries.signals import delivery_recorded
from safepassage.directory.models import Mission, mission_of
from safepassage.events import services as event_services
from safepassage.events.models import RSVP
from safepassage.events.signals import rsvp_confirmed
from safepassage.reports.models import AfterActionReport
from safepassage.reports.signals import report_published
from safepassage.signatures import counter
from safepassage.signatures.models import Signature
from safepassage.signatures.signals import signature_confirmed
from safepassage.webhooks.models import Endpoint, Event
from safepassage.webhooks.services import campaigns_with_endpoints, forget_campaigns, record


def _mission(mission: Mission | None) -> dict[str, Any] | None:
    if mission is None:
        return None
    return {
        "key": mission.key,
        "name": mission.name,
        "city": mission.city,
        "country": mission.host_country,
    }


@receiver(signature_confirmed)
def on_signature_confirmed(sender: Any, signature_id: int, **kwargs: Any) -> None:
    if not campaigns_with_endpoints():
        return
    signature = (
        Signature.objects.select_related("petition", "petition__campaign", "route__mission")
        .filter(pk=signature_id)
        .first()
    )
    if signature is None or signature.petition.campaign_id not in campaigns_with_endpoints():
        return
    if signature.review_reason:
        return  # held for review: it does not count
    # City and region only of signers who let them be handed over (as the packets do).
    named = signature.publish_name and not signature.name_withheld
    figures = counter.figures(signature.petition)
    data = {
        "petition": signature.petition.slug,
        "place": {
            "country": signature.country,
            "region": signature.region if named else None,
            "city": signature.city if named else None,
            "mission": _mission(mission_of(signature)),
        },
        "counts": {"confirmed": figures["confirmed"], "goal": figures["goal"]},
    }
    record(signature.petition.campaign_id, Event.SIGNATURE_CONFIRMED, data)


@receiver(rsvp_confirmed)
def on_rsvp_confirmed(sender: Any, campaign_id: int, rsvp_id: int, **kwargs: Any) -> None:
    if campaign_id not in campaigns_with_endpoints():
        return
    rsvp = RSVP.objects.select_related("event", "event__mission").filter(pk=rsvp_id).first()
    if rsvp is None:
        return
    event = rsvp.event
    data = {
        "event": {
            "uuid": str(event.uuid),
            "kind": event.kind,
            "title": event.title,
            "starts_at": event.starts_at.isoformat(),
            "city": event.city,
            "country": event.country,
            "mission": _mission(event.mission),
        },
        "counts": {"people": rsvp.people, "event_people": event_services.confirmed_people(event)},
    }
    record(campaign_id, Event.RSVP_CONFIRMED, data)


@receiver(delivery_recorded)
def on_delivery_recorded(sender: Any, campaign_id: int, delivery_id: int, **kwargs: Any) -> None:
    if campaign_id not in campaigns_with_endpoints():
        return
    handover = Handover.objects.select_related("mission").filter(pk=delivery_id).first()
    if handover is None:
        return
    data = {
        "delivery": handover.pk,
        "status": handover.status,
        "delivered_at": handover.delivered_at.isoformat() if handover.delivered_at else None,
        "mission": _mission(handover.mission),
    }
    record(campaign_id, Event.DELIVERY_RECORDED, data)


@receiver(report_published)
def on_report_published(sender: Any, campaign_id: int, report_id: int, **kwargs: Any) -> None:
    if campaign_id not in campaigns_with_endpoints():
        return
    report = AfterActionReport.objects.select_related("campaign").filter(pk=report_id).first()
    if report is None:
        return
    data = {
        "title": report.title,
        "url": settings.SITE_URL + reverse("reports:report", args=[report.campaign.slug]),
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "snapshot_sha256": report.snapshot_sha256,
    }
    record(campaign_id, Event.REPORT_PUBLISHED, data)


@receiver(post_save, sender=Endpoint)
@receiver(post_delete, sender=Endpoint)
def endpoints_changed(sender: Any, **kwargs: Any) -> None:
    forget_campaigns()

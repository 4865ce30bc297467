"""The delivery mail that carries a packet to a mission (registered with the outbox).

Rendered when the worker sends it, from the delivery the message is linked
to and the packet kept beside the message (``packets``). The packet is
checked against the SHA-256 recorded when it was queued: a file changed on
disk since is not sent (the message fails visibly instead).
"""

from __future__ import annotations

from typing import Any

from safepassage.deliveries import packets
from safepassage.deliveries.models import Delivery
from safepassage.outbox.mail import Attachment, Rendered, register, render_templates
from safepassage.outbox.models import Message


@register(Message.Kind.DELIVERY)
def render_delivery(message: Message) -> Rendered | None:
    try:
        delivery = Delivery.objects.select_related("campaign", "mission").get(message=message)
    except Delivery.DoesNotExist:
        return None  # unlinked (an admin removed it): nothing to deliver
    info = packets.info(message.pk)
    if info is None:
        raise FileNotFoundError(f"no packet information for message {message.pk}")
    attachments: tuple[Attachment, ...] = ()
    if info.has_file:
        content = packets.content(message.pk, info.sha256)
        attachments = (Attachment(info.filename, content, "application/pdf"),)
    campaign = delivery.campaign
    context: dict[str, Any] = {
        "delivery": delivery,
        "mission": delivery.mission,
        "campaign": campaign,
        "organisations": [o.name for o in campaign.organisations.order_by("name")],
        "filename": info.filename,
        "link": info.link,
        "sha256": info.sha256,
    }
    rendered = render_templates("delivery", context)
    return Rendered(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=attachments,
    )

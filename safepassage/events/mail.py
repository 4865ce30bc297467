"""The RSVP confirmation mail (registered with the outbox).

Rendered when it is sent, in the RSVP's language, from the RSVP as it is
then: a pending RSVP is asked to confirm; a confirmed one (mailed again
because the same person RSVPed again) gets its links back; a cancelled or
deleted one gets nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from safepassage.events import ical, services
from safepassage.events.models import RSVP
from safepassage.lib.plainname import plain_name
from safepassage.outbox.mail import Rendered, register, render_templates
from safepassage.outbox.models import Message


@register(Message.Kind.RSVP_CONFIRM)
def render_rsvp_confirm(message: Message) -> Rendered | None:
    rsvp = message.rsvp
    if rsvp is None or rsvp.status == RSVP.Status.CANCELLED:
        return None
    event = rsvp.event
    context = {
        "rsvp": rsvp,
        # The RSVP-er's own text reaches the mail only if it is plainly a name (lib.plainname).
        "greeting_name": plain_name(rsvp.name),
        "event": event.in_language(message.language),
        "pending": rsvp.status == RSVP.Status.PENDING,
        "when": services.format_span(event),
        "place": ical.location(event, message.language),
        "confirm_url": services.absolute(services.link("confirm", rsvp)),
        "cancel_url": services.absolute(services.link("cancel", rsvp)),
        "page_url": services.absolute(services.link("view", rsvp)),
        "event_url": settings.SITE_URL + reverse("events:event", args=[event.uuid]),
        "confirm_days": services.PENDING_DAYS,
    }
    return render_templates("rsvp-confirm", context)

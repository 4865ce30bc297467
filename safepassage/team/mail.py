"""The invitation mail (registered with the outbox from TeamConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from safepassage.accounts.models import INVITATION_DAYS, Invitation
from safepassage.directory.models import Mission
from safepassage.events.models import Event
from safepassage.lib import geo
from safepassage.outbox.mail import Rendered, register, render_templates
from safepassage.outbox.models import Message


def describe_assignments(invitation: Invitation) -> list[str]:
    """The invitation's assignments in words, for the mail and the pages."""

    items = [a for a in invitation.assignments or [] if isinstance(a, dict)]
    missions = Mission.objects.in_bulk([a["mission"] for a in items if a.get("mission")])
    events = Event.objects.in_bulk([a["event"] for a in items if a.get("event")])
    lines: list[str] = []
    for item in items:
        if item.get("mission") and item["mission"] in missions:
            lines.append(str(missions[item["mission"]]))
        elif item.get("event") and item["event"] in events:
            lines.append(str(events[item["event"]]))
        elif item.get("city") and item.get("country"):
            lines.append(f"{item['city']}, {geo.country_name(str(item['country']))}")
    return lines


@register(Message.Kind.INVITATION)
def render_invitation(message: Message) -> Rendered | None:
    invitation = message.invitation
    if invitation is None or invitation.state() != "pending":
        return None  # revoked (deleted), used or expired: nothing to send any more
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "campaign": invitation.campaign,
        "role": invitation.get_kind_display(),
        "organisation": invitation.organisation,
        "assignments": describe_assignments(invitation),
        "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
        "join_url": settings.SITE_URL + reverse("team:join", args=[invitation.token]),
        "expires_at": invitation.expires_at(),
        "days": INVITATION_DAYS,
    }
    return render_templates("invitation", context)

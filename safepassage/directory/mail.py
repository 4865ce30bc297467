"""The directory's mails (registered with the outbox from DirectoryConfig.ready).

- a proposal's outcome, to its proposer: accepted and rejected fields, the
  organiser's reason or question;
- a reminder to the coordinators of a mission whose address needs checking.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from safepassage.directory.freshness import address_confirmations, state
from safepassage.directory.proposals import DirectoryNotice
from safepassage.outbox.mail import Rendered, register, render_templates
from safepassage.outbox.models import Message


def _notice(message: Message) -> DirectoryNotice | None:
    return (
        DirectoryNotice.objects.select_related("proposal__mission", "proposal__campaign")
        .select_related("mission", "campaign")
        .filter(message=message)
        .first()
    )


@register(Message.Kind.DIRECTORY_PROPOSAL)
def render_proposal(message: Message) -> Rendered | None:
    notice = _notice(message)
    if notice is None or notice.proposal is None:
        return None
    proposal = notice.proposal
    context = {
        "proposal": proposal,
        "mission": proposal.mission,
        "campaign": proposal.campaign,
        "values": list(proposal.values.all()),
        "dashboard_url": settings.SITE_URL
        + reverse("team:dashboard", args=[proposal.campaign.slug]),
    }
    return render_templates("directory-proposal", context)


@register(Message.Kind.DIRECTORY_REMINDER)
def render_reminder(message: Message) -> Rendered | None:
    notice = _notice(message)
    if notice is None or notice.mission is None or notice.campaign is None:
        return None
    mission = notice.mission
    confirmed = address_confirmations([mission])[mission.pk]
    context = {
        "mission": mission,
        "campaign": notice.campaign,
        "state": state(mission, confirmed, notice.created_at.date()),
        "confirmed": confirmed,
        "propose_url": settings.SITE_URL
        + reverse("team:directory_propose", args=[notice.campaign.slug, mission.pk]),
    }
    return render_templates("directory-reminder", context)

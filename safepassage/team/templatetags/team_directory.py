"""The directory section of the team dashboard: the person's missions, their proposals.

``{% load team_directory %}{% team_directory campaign %}``: coordinators see
their missions with the state of each address and a link to propose a
correction; partner editors and organisers a link to every mission of the
target government; everyone the status of their own proposals; organisers
the queue and the freshness page.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from safepassage.accounts.models import Role
from safepassage.accounts.permissions import role_kinds
from safepassage.campaigns.models import Campaign
from safepassage.directory import freshness, verification
from safepassage.directory.proposals import Proposal

register = template.Library()

LISTED = 30  # more missions than this: a link to the full list instead


@register.inclusion_tag("team/directory/_dashboard.html", takes_context=True)
def team_directory(context: template.Context, campaign: Campaign) -> dict[str, Any]:
    user = context["request"].user
    kinds = role_kinds(user, campaign)
    organiser = Role.Kind.ORGANISER in kinds
    missions = verification.proposable_missions(user, campaign)
    rows = []
    if len(missions) <= LISTED:
        states = freshness.freshness_of(missions, timezone.localdate())
        rows = [states[m.pk] for m in missions]
    own = (
        Proposal.objects.filter(campaign=campaign, proposer=user)
        .select_related("mission")
        .prefetch_related("values")[:20]
    )
    waiting = 0
    if organiser:
        waiting = Proposal.objects.filter(
            campaign=campaign, status__in=[Proposal.Status.OPEN, Proposal.Status.MORE]
        ).count()
    return {
        "campaign": campaign,
        "organiser": organiser,
        "count": len(missions),
        "rows": rows,
        "proposals": list(own),
        "waiting": waiting,
    }

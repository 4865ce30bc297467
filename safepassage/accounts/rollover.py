"""Next year's campaign, the accounts app's part: the same people in the same roles.

Every role of an active account is copied with its assignments (cities,
missions, events); an assignment to an event that was not copied is left
out. Pending invitations stay with the old campaign. The person who starts
the new campaign is one of its organisers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from safepassage.accounts.models import Assignment, Role


def copy_for_rollover(old: Model, new: Model, events: dict[int, Any], organiser: Any) -> int:
    """Copy the roles of ``old`` to ``new``; ``events``: each old event's copy. How many roles."""
    copied = 0
    roles = (
        Role.objects.filter(campaign_id=old.pk, user__is_active=True)
        .prefetch_related("assignments")
        .order_by("pk")
    )
    for role in roles:
        copy = Role.objects.create(
            user_id=role.user_id, campaign_id=new.pk, kind=role.kind, organisation=role.organisation
        )
        copied += 1
        Assignment.objects.bulk_create(
            Assignment(
                role=copy,
                country=assignment.country,
                city=assignment.city,
                mission_id=assignment.mission_id,
                event=events[assignment.event_id] if assignment.event_id else None,
            )
            for assignment in role.assignments.all()
            if assignment.event_id is None or assignment.event_id in events
        )
    if organiser is not None and getattr(organiser, "is_authenticated", False):
        Role.objects.get_or_create(user=organiser, campaign_id=new.pk, kind=Role.Kind.ORGANISER)
    return copied

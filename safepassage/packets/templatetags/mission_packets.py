"""The packets section of the team dashboard: each of the person's missions and its packet.

The dashboard belongs to the team app; what a person may download (and
have built again) is the packets app's rule (``permissions.py``), so the
section is rendered here: ``{% load mission_packets %}{% mission_packets campaign %}``.
"""

from __future__ import annotations

from typing import Any

from django import template

from safepassage.campaigns.models import Campaign
from safepassage.packets import current, services
from safepassage.packets.permissions import packet_access

register = template.Library()


@register.inclusion_tag("packets/_mission_packets.html", takes_context=True)
def mission_packets(context: template.Context, campaign: Campaign) -> dict[str, Any]:
    request = context["request"]
    access = packet_access(request.user, campaign)
    result: dict[str, Any] = {"campaign": campaign, "access": access, "request": request}
    if access.none:
        return result
    if access.organiser:
        build = current.latest_build(campaign)
        result["build"] = build
        result["progress"] = services.progress(build) if build is not None else None
        return result
    rows = current.mission_packets(campaign, access.download)
    result["rows"] = [(row, access.may_rebuild(row.mission.pk)) for row in rows]
    result["build"] = rows[0].build if rows else current.latest_build(campaign)
    return result

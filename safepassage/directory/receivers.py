"""What the directory does when other apps announce a change (connected in ready()).

- ``signatures.signals.signature_confirmed``: the petition's newly confirmed
  signatures are routed by a background task after commit (debounced:
  ``tasks.schedule_routing``).
- ``campaigns.signals.campaign_opening``: a campaign opens only if the
  directory has an open mission of its target government.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext

from safepassage.campaigns.models import Campaign
from safepassage.campaigns.signals import campaign_opening
from safepassage.directory.models import Mission
from safepassage.directory.tasks import schedule_routing
from safepassage.lib import geo
from safepassage.signatures.signals import signature_confirmed


@receiver(signature_confirmed)
def route_confirmed(sender: Any, petition_id: int, **kwargs: Any) -> None:
    schedule_routing(petition_id)


@receiver(campaign_opening)
def directory_for_campaign(sender: Any, campaign: Campaign, **kwargs: Any) -> list[str]:
    """A campaign opens only with a mission of its target government to deliver to."""
    state = campaign.target_government
    if Mission.objects.of(state).open().exists():
        return []
    return [
        gettext(
            "The directory has no open mission of %(government)s (%(code)s) to deliver the "
            "petition to: load the bundled directory of %(code)s (Missions, “Load bundled "
            "directory”) or import a file of its missions."
        )
        % {"government": geo.country_name(state), "code": state}
    ]

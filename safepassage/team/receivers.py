"""What the team app answers for the apps below it (connected in TeamConfig.ready).

- ``directory.signals.planned_missions``: the missions a campaign plans to
  deliver to are those of its deliveries not done yet.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from safepassage.campaigns.models import Campaign
from safepassage.deliveries.models import Delivery
from safepassage.directory.signals import planned_missions


@receiver(planned_missions)
def missions_with_planned_deliveries(sender: Any, campaign: Campaign, **kwargs: Any) -> list[int]:
    return list(
        Delivery.objects.filter(campaign=campaign)
        .exclude(status__in=Delivery.DONE)
        .values_list("mission_id", flat=True)
    )

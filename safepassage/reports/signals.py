"""What the reports do when other apps announce a change (connected in ready()).

- ``signatures.signals.signatures_moderated``: the campaign's statistics are
  refreshed by a background task after commit (the live counter was
  recounted in the moderating transaction already).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from safepassage.reports.tasks import refresh_campaign_stats
from safepassage.signatures.signals import signatures_moderated


@receiver(signatures_moderated)
def refresh_after_moderation(sender: Any, campaign_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: refresh_campaign_stats.enqueue(campaign_id))

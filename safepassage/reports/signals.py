"""What the reports do when other apps announce a change (connected in ready()), and announce.

- ``signatures.signals.signatures_moderated``: the campaign's statistics are
  refreshed by a background task after commit (the live counter was
  recounted in the moderating transaction already).

Announced here, for the apps above: ``report_published(campaign_id,
report_id)``, the after-action report was published (again) by
``report.publish``. Received by ``webhooks/receivers.py``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal, receiver

from safepassage.reports.tasks import refresh_campaign_stats
from safepassage.signatures.signals import signatures_moderated

report_published = Signal()


@receiver(signatures_moderated)
def refresh_after_moderation(sender: Any, campaign_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: refresh_campaign_stats.enqueue(campaign_id))

"""What the deliveries app announces, for the apps above it to act on (docs/architecture.md).

- ``delivery_recorded(campaign_id, delivery_id, status)``: what happened to a
  delivery was recorded, by a person (``services.record``) or by the
  e-mailed packet's outcome (``emailing.sync_email_deliveries``); sent inside the
  transaction that saved it. Received by ``webhooks/receivers.py``.
"""

from __future__ import annotations

from django.dispatch import Signal

delivery_recorded = Signal()

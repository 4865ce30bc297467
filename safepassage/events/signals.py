"""What the events app announces, for the apps above it to act on (docs/architecture.md).

- ``rsvp_confirmed(campaign_id, event_id, rsvp_id)``: a pending RSVP was
  confirmed from its mail (``services.confirm``); sent inside the
  transaction that confirmed it. Received by ``webhooks/receivers.py``.
"""

from __future__ import annotations

from django.dispatch import Signal

rsvp_confirmed = Signal()

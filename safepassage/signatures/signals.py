"""What the signatures app announces, for the apps above it to act on.

Sent inside the transaction that made the change, so a receiver's writes
commit or roll back with it (and a receiver that starts work elsewhere does
so on commit). Receivers: ``directory/signals.py`` (routing),
``packets/signals.py`` (out-of-date packets), ``reports/signals.py``
(statistics); the whole list is in docs/architecture.md.

- ``signature_confirmed(petition_id, signature_id)``: a pending signature
  now counts (``services.confirm``); it is to be routed to a mission.
- ``signature_erased(petition_id, signature_id)``: a confirmed signature was
  deleted by its signer's withdrawal, an organiser's erasure or a replayed
  tombstone (``services.erase``, ``services.replay_erasures``).
- ``signatures_moderated(campaign_id, petition_id, signature_ids, action_id)``: a
  moderation action, or its reversal, changed whether these signatures
  count or are named (``moderation.py``). A receiver may answer with a
  sentence for the organiser who acted, about what the change left them to
  do; the moderation page shows these (``ModerationAction.notes``).
"""

from __future__ import annotations

from django.dispatch import Signal

signature_confirmed = Signal()
signature_erased = Signal()
signatures_moderated = Signal()

"""What the signatures app announces, for the apps above it to act on.

Sent inside the transaction that made the change, so a receiver's writes
commit or roll back with it. Receivers: ``packets/signals.py``.

- ``signature_erased(petition_id, signature_id)``: a confirmed signature was
  deleted by its signer's withdrawal, an organiser's erasure or a replayed
  tombstone (``services.erase``, ``services.replay_erasures``).
- ``signatures_moderated(petition_id, signature_ids, action_id)``: a
  moderation action, or its reversal, changed whether these signatures
  count or are named (``moderation.py``).
"""

from __future__ import annotations

from django.dispatch import Signal

signature_erased = Signal()
signatures_moderated = Signal()

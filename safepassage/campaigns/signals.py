"""What the campaigns app announces to the apps above it (docs/architecture.md).

``campaign_opening`` is sent before a campaign opens for signing
(``Campaign.opening_problems``); a receiver returns a list of reasons the
campaign cannot open yet (empty when it has none). The directory answers
whether the target government has an open mission (directory/receivers.py).
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with campaign=<Campaign>; each receiver returns list[str] of problems.
campaign_opening = Signal()

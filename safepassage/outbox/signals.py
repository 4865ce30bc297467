"""What the outbox tells the apps above it (docs/architecture.md, "Work that crosses layers")."""

from __future__ import annotations

from django.dispatch import Signal

# A provider reported an address as undeliverable for the first time (outbox/bounces.py).
# Arguments: ``message`` (the outbox Message the report names, or None when it names
# none we know) and ``reason`` (Undeliverable.Reason). Never the address.
# Receivers: signatures (hard bounces of confirmation mail, in CampaignStats).
mail_undeliverable = Signal()

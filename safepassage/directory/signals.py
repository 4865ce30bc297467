"""What the directory announces, for the apps above it to act on.

Receivers: ``packets/signals.py``.

- ``signatures_rerouted(petition_id, signature_ids)``: routing wrote a
  different mission for these signatures (``routing.route_petition``), sent
  once per batch after its transaction; a signature routed for the first
  time is in the list too.
"""

from __future__ import annotations

from django.dispatch import Signal

signatures_rerouted = Signal()

# ``planned_missions(campaign)``: each receiver returns the ids of the missions
# the campaign plans to deliver to (``team/receivers.py``: its deliveries not
# done yet); directory/freshness.py asks it, since the directory sits below
# the apps that plan deliveries.
planned_missions = Signal()

"""What the directory does when other apps announce a change (connected in ready()).

- ``signatures.signals.signature_confirmed``: the petition's newly confirmed
  signatures are routed by a background task after commit (debounced:
  ``tasks.schedule_routing``).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from safepassage.directory.tasks import schedule_routing
from safepassage.signatures.signals import signature_confirmed


@receiver(signature_confirmed)
def route_confirmed(sender: Any, petition_id: int, **kwargs: Any) -> None:
    schedule_routing(petition_id)

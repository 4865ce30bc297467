"""Background tasks of the directory: routing signatures to missions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from safepassage.campaigns.models import Petition
from safepassage.directory.routing import route_petition

# At most one queued routing task per petition within this many seconds:
# a burst of confirmations is routed in one batch.
DEBOUNCE_SECONDS = 5
# A task queued after confirmations looks only at the counted signatures confirmed
# from this long before it was queued; the worker's housekeeping sweep
# (routing.route_pending) finds any other signature without a route within a minute.
RECENT = timedelta(minutes=1)


@task()
def route_signatures(
    petition_id: int, everything: bool = False, confirmed_since: str | None = None
) -> dict[str, int]:
    petition = Petition.objects.select_related("campaign").filter(pk=petition_id).first()
    if petition is None:
        return {"routed": 0, "changed": 0}
    since = datetime.fromisoformat(confirmed_since) if confirmed_since else None
    report = route_petition(petition, everything=everything, confirmed_since=since)
    return {"routed": report.routed, "changed": report.changed}


def schedule_routing(petition_id: int) -> None:
    """Queue routing of the petition's newly confirmed signatures (debounced)."""
    if cache.add(f"routing-queued:{petition_id}", 1, timeout=DEBOUNCE_SECONDS):
        since = (timezone.now() - RECENT).isoformat()
        transaction.on_commit(lambda: route_signatures.enqueue(petition_id, confirmed_since=since))

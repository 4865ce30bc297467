"""Background tasks of the packets: one task per packet, taking its primary key."""

from __future__ import annotations

from django_tasks import task


@task()
def build_packet_task(packet_id: int) -> str:
    """Build one packet (idempotent; nothing happens if it is done or its build paused)."""
    from safepassage.packets.services import build_one

    return build_one(packet_id)

"""Background tasks of the packets: one task per packet, taking its primary key."""

from __future__ import annotations

from django_tasks import task


@task()
def build_packet_task(packet_id: int) -> str:
    """Build one packet (idempotent; nothing happens if it is done or its build paused)."""
    from safepassage.packets.services import build_one

    return build_one(packet_id)


def enqueue(packet_ids: list[int]) -> None:
    """Queue one build task per packet (call it once the rows are committed)."""
    for packet_id in packet_ids:
        build_packet_task.enqueue(packet_id)

"""Background tasks of the packets: one task per packet, taking its primary key."""

from __future__ import annotations

from django_tasks import task


@task()
def build_packet_task(packet_id: int, alone: bool = False) -> str:
    """Build one packet (idempotent; nothing happens if it is done or its build paused).

    ``alone``: the packet was asked for by itself ("build this mission now")
    and is built even if its build is interrupted.
    """
    from safepassage.packets.services import build_one

    return build_one(packet_id, alone=alone)


def enqueue(packet_ids: list[int], *, alone: bool = False) -> None:
    """Queue one build task per packet (call it once the rows are committed)."""
    for packet_id in packet_ids:
        if alone:
            build_packet_task.enqueue(packet_id, alone=True)
        else:
            build_packet_task.enqueue(packet_id)

"""A mission's current packet: its packet in the campaign's latest build.

The people who deliver (coordinators, partners an organiser lets in, the
e-mail delivery) never choose among builds: the latest build the organisers
started is the one handed over. Its packet for a mission is *ready* when it
is built and nothing has changed what it would print since; otherwise the
state says what is missing (``MissionPacket.state``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.packets import archive
from safepassage.packets.models import Packet, PacketBuild

# What a packet is, for the people who deliver it.
STATES = {
    "ready": _("ready"),
    "stale": _("out of date"),
    "building": _("being built"),
    "waiting": _("waiting to be built"),
    "failed": _("failed"),
    "none": _("not built yet"),
    "closed": _("left out: mission closed"),
}


@dataclass(frozen=True)
class MissionPacket:
    mission: Mission
    build: PacketBuild | None
    packet: Packet | None

    @property
    def state(self) -> str:
        packet, build = self.packet, self.build
        if build is None or packet is None:
            return "none"
        if packet.status == Packet.Status.DROPPED:
            return "closed"
        if packet.is_stale:
            return "stale"
        if packet.status == Packet.Status.DONE:
            return "ready"
        if packet.status == Packet.Status.FAILED:
            return "failed"
        return "building" if build.status == PacketBuild.Status.RUNNING else "waiting"

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def downloadable(self) -> bool:
        """Built, with its file (an out-of-date packet whose file was kept is downloadable)."""
        return bool(self.packet and self.packet.status == Packet.Status.DONE and self.packet.file)

    @property
    def filename(self) -> str:
        if self.build is None or self.packet is None:
            return ""
        return archive.packet_name(self.build, self.packet)

    @property
    def stale_since(self) -> datetime | None:
        return self.packet.stale_since if self.packet is not None else None

    def read(self) -> bytes:
        """The built file's bytes, checked against the packet's SHA-256."""
        assert self.packet is not None and self.downloadable
        with self.packet.file.storage.open(self.packet.file.name, "rb") as handle:
            data: bytes = handle.read()
        if hashlib.sha256(data).hexdigest() != self.packet.sha256:
            raise ValueError(f"packet {self.packet.pk} does not match its sha256")
        return data


def latest_build(campaign: Campaign) -> PacketBuild | None:
    return (
        PacketBuild.objects.filter(campaign=campaign)
        .select_related("campaign", "petition")
        .order_by("-created_at", "-pk")
        .first()
    )


def mission_packets(campaign: Campaign, mission_ids: Iterable[int] | None) -> list[MissionPacket]:
    """The current packet of each of these missions (every mission with a packet for None)."""
    build = latest_build(campaign)
    packets: dict[int, Packet] = {}
    if build is not None:
        rows = build.packets.select_related("mission")
        if mission_ids is not None:
            rows = rows.filter(mission_id__in=sorted(set(mission_ids)))
        packets = {packet.mission_id: packet for packet in rows}
    if mission_ids is None:
        missions = [packet.mission for packet in packets.values()]
    else:
        missions = list(Mission.objects.filter(pk__in=sorted(set(mission_ids))))
    missions.sort(key=lambda m: (m.host_country, m.city.casefold(), m.name.casefold(), m.pk))
    return [MissionPacket(mission, build, packets.get(mission.pk)) for mission in missions]


def mission_packet(campaign: Campaign, mission: Mission) -> MissionPacket:
    [current] = mission_packets(campaign, [mission.pk]) or [MissionPacket(mission, None, None)]
    return current

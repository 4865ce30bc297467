"""A build's ZIP: every packet under its human name, and ``manifest.csv``.

The ZIP depends on the packets' contents only (sorted names, fixed times and
permissions), so building the same packets again gives the same bytes. Its
members are named as a person reads them (``naming.py``: "2026-09-24 Chicago
— Consulate-General of the PRC.pdf"); two missions that would share a name
are numbered. The manifest maps each file back to its mission's stable id,
with its address and how fresh that is on the day of action (``address_state``
missing, stale or verified; ``address_confirmed`` the month, ``2024-06``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import IO

from safepassage.directory import freshness
from safepassage.lib import geo
from safepassage.lib.spreadsheet import neutralise
from safepassage.packets import naming
from safepassage.packets.models import Packet, PacketBuild

# Every member of the ZIP gets this time, so the archive depends on contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = (
    "mission_key",
    "mission_name",
    "city",
    "country",
    "postal_address",
    "address_state",
    "address_confirmed",
    "email",
    "signatures",
    "named",
    "unnamed",
    "withheld",
    "pages",
    "sha256",
    "file",
)


def packet_name(build: PacketBuild, packet: Packet) -> str:
    """The name a person sees for this packet (day of action, city, mission)."""
    mission = packet.mission
    return naming.packet_name(build.campaign.day_of_action, mission.city, mission.name)


def member_names(build: PacketBuild, packets: list[Packet]) -> list[str]:
    """The packets' names in the ZIP, in the packets' order, duplicates numbered."""
    return naming.unique_names(packet_name(build, packet) for packet in packets)


def zip_name(build: PacketBuild) -> str:
    day = build.campaign.day_of_action
    stem = f"{day.isoformat() if day else ''} {build.campaign.title} — packets {build.pk}"
    return naming.safe_filename(stem, "zip", fallback=f"packets-{build.pk}")


def manifest(build: PacketBuild, packets: list[Packet], names: list[str]) -> bytes:
    """The CSV listing every packet of the ZIP, cells neutralised for spreadsheets."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    language = build.petition.default_language or "en"
    on = build.campaign.day_of_action  # as the packets judge it (assemble.address_notes)
    fresh = freshness.freshness_of([packet.mission for packet in packets], on)
    for packet, name in zip(packets, names, strict=True):
        mission = packet.mission
        row = (
            mission.key,
            mission.name,
            mission.city,
            geo.country_name(mission.host_country, language),
            mission.postal_address,
            fresh[mission.pk].state,
            freshness.confirmed_month(fresh[mission.pk]),
            mission.email,
            packet.total_count,
            packet.named_count,
            packet.unnamed_count,
            packet.withheld_count,
            packet.pages,
            packet.sha256,
            name,
        )
        writer.writerow([neutralise(str(cell)) for cell in row])
    return text.getvalue().encode("utf-8")


def _zip_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    # Unpacked, a signer list stays readable by the organiser's user only.
    info.external_attr = 0o100600 << 16
    return info


def write(build: PacketBuild, target: IO[bytes]) -> None:
    """Write the build's ZIP into ``target``: its packets (not those left out) and the manifest."""
    packets = list(
        build.packets.exclude(status=Packet.Status.DROPPED)
        .select_related("mission")
        .order_by("mission__key")
    )
    names = member_names(build, packets)
    members: list[tuple[str, Packet | None]] = [(MANIFEST_NAME, None)]
    members += list(zip(names, packets, strict=True))
    members.sort(key=lambda member: member[0])
    with zipfile.ZipFile(target, "w") as archive:
        for name, packet in members:
            info = _zip_member(name)
            if packet is None:
                archive.writestr(info, manifest(build, packets, names))
                continue
            with (
                packet.file.storage.open(packet.file.name, "rb") as source,
                archive.open(info, "w") as sink,
            ):
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    sink.write(chunk)

"""Which packets a change makes out of date, and taking their snapshot again.

A packet prints its build's snapshot (``snapshot.py``), so nothing that
happens later changes its bytes. What it would print if it were taken again
changes with four kinds of event, each reported by the app that owns it and
received in ``packets/signals.py``:

- signatures routed to another mission (``directory.signals.signatures_rerouted``):
  the packets of their old and their new mission;
- a mission closed or no longer serving places (``post_save`` of ``Mission``):
  that mission's packets;
- a signature erased, by its signer or an organiser
  (``signatures.signals.signature_erased``), and
- a moderation action or its reversal (``signatures.signals.signatures_moderated``):
  the packets that print the signature (every packet of an "all signers" build).

Each marks only those packets, with a reason and a time. After an erasure or
a moderation action a packet's file holds what must not be handed over any
more, so that file and its build's ZIP are deleted at once and the packet is
built again; until it is brought up to date it still lists its own snapshot,
less the signatures erased or invalidated and with the withheld names only
counted.

``refresh`` brings a build up to date: a fresh snapshot for its out-of-date
packets only (and a packet for every mission opened since); every other
packet keeps its file and its bytes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import DateTimeField, F, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from safepassage.packets import snapshot
from safepassage.packets.models import Packet, PacketBuild, PacketEntry
from safepassage.packets.tasks import enqueue
from safepassage.signatures.models import Signature

logger = logging.getLogger(__name__)

# Signature ids per query when looking them up in snapshots.
CHUNK = 5000

Reason = Packet.StaleReason


def _storage() -> Storage:
    return Packet._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _delete_files(names: list[str]) -> None:
    for name in names:
        _storage().delete(name)


def mark(packets: QuerySet[Packet], reason: str, *, discard: bool = False) -> int:
    """Mark these packets out of date for ``reason``; how many.

    A packet keeps the reason and time of the first change, unless a later
    one discards it. With ``discard`` (an erasure, a moderation action) the
    files go too: the packets are waiting again, their builds' ZIPs are
    deleted, a finished build is interrupted and a running one builds them
    again.
    """
    now = timezone.now()
    live = packets.exclude(status=Packet.Status.DROPPED)
    if not discard:
        live.filter(stale_reason="").update(stale_reason=reason, stale_since=now)
        return live.count()
    since = Coalesce(F("stale_since"), Value(now, output_field=DateTimeField()))
    rows = list(live.values_list("pk", "build_id", "file"))
    if not rows:
        return 0
    doomed = [name for _pk, _build, name in rows if name]
    Packet.objects.filter(pk__in=[pk for pk, _build, _name in rows]).update(
        status=Packet.Status.PENDING,
        file="",
        sha256="",
        error="",
        built_at=None,
        revision=F("revision") + 1,
        stale_reason=reason,
        stale_since=since,
    )
    queued: list[int] = []
    for build in PacketBuild.objects.filter(pk__in={build for _pk, build, _name in rows}):
        if build.zip_file:
            doomed.append(build.zip_file.name)
        changes: dict[str, Any] = {"zip_file": "", "zip_sha256": ""}
        if build.status == PacketBuild.Status.RUNNING:
            queued += [pk for pk, owner, _name in rows if owner == build.pk]
        elif build.status == PacketBuild.Status.DONE:
            changes.update(status=PacketBuild.Status.PAUSED, finished_at=None)
        PacketBuild.objects.filter(pk=build.pk).update(**changes)
    # The files go only once the rows say so: a rolled-back change keeps both.
    transaction.on_commit(lambda: _delete_files(doomed))
    if queued:
        transaction.on_commit(lambda: enqueue(queued))
    logger.info("%d built packets out of date (%s); their files deleted", len(rows), reason)
    return len(rows)


def _packets_of(pairs: Iterable[tuple[int, int | None]], whole_builds: Iterable[int]) -> Q:
    """Packets of these (build, mission) pairs, and every packet of these builds."""
    by_build: dict[int, set[int]] = defaultdict(set)
    for build_id, mission_id in pairs:
        if mission_id is not None:
            by_build[build_id].add(mission_id)
    condition = Q(pk__in=[])
    for build_id in set(whole_builds):
        condition |= Q(build_id=build_id)
    for build_id, mission_ids in by_build.items():
        condition |= Q(build_id=build_id, mission_id__in=sorted(mission_ids))
    return condition


def signatures_changed(signature_ids: Sequence[int], reason: str, *, erased: bool) -> int:
    """Discard the packets whose snapshot holds any of these signatures; how many.

    A packet of "each mission's own signers" holds its mission's signatures; a
    packet of "all signers" holds all of them, so each of those is discarded.
    An erased signature also leaves the snapshots themselves.
    """
    pairs: set[tuple[int, int | None]] = set()
    whole: set[int] = set()
    for chunk in _chunks(sorted(set(signature_ids))):
        entries = PacketEntry.objects.filter(signature_id__in=chunk)
        for build_id, mission_id, scope in entries.values_list(
            "build_id", "mission_id", "build__scope"
        ).distinct():
            if scope == PacketBuild.Scope.ALL:
                whole.add(build_id)
            else:
                pairs.add((build_id, mission_id))
        if erased:
            entries.delete()
    if not pairs and not whole:
        return 0
    return mark(Packet.objects.filter(_packets_of(pairs, whole)), reason, discard=True)


def signatures_rerouted(signature_ids: Sequence[int]) -> int:
    """Mark the packets of both missions of every snapshotted signature routed elsewhere."""
    pairs: set[tuple[int, int | None]] = set()
    for chunk in _chunks(sorted(set(signature_ids))):
        rows = PacketEntry.objects.filter(signature_id__in=chunk).values_list(
            "build_id", "mission_id", "signature__route__mission_id"
        )
        for build_id, was, now in rows:
            if was != now:
                pairs.update({(build_id, was), (build_id, now)})
    if not pairs:
        return 0
    return mark(Packet.objects.filter(_packets_of(pairs, ())), Reason.REROUTED)


def mission_gone(mission_id: int) -> int:
    """Mark every packet of a mission that was closed or no longer serves places."""
    return mark(Packet.objects.filter(mission_id=mission_id), Reason.CLOSED)


def detect_moves(build: PacketBuild) -> int:
    """Mark the packets of every snapshotted signature whose route differs now.

    The reroute signal already did this as it happened; this catches a route
    changed by any other means before the build is brought up to date.
    """
    # Django's negation also lets through rows where either side is empty
    # (both empty too: those are skipped below).
    moved = (
        PacketEntry.objects.filter(build=build)
        .exclude(mission_id=F("signature__route__mission_id"))
        .values_list("mission_id", "signature__route__mission_id")
        .distinct()
    )
    pairs: set[tuple[int, int | None]] = set()
    for was, now in moved:
        if was != now:
            pairs.update({(build.pk, was), (build.pk, now)})
    if not pairs:
        return 0
    return mark(Packet.objects.filter(_packets_of(pairs, ())), Reason.REROUTED)


def stale_packets(build: PacketBuild) -> QuerySet[Packet]:
    return build.packets.exclude(stale_since=None).exclude(status=Packet.Status.DROPPED)


def refresh(build: PacketBuild, only: Collection[int] | None = None) -> int:
    """Take a fresh snapshot for the build's out-of-date packets; how many changed.

    Route signatures not yet routed before calling this (``services.resume``
    does). Packets of missions closed since are left out (``DROPPED``); every
    open mission without a packet gets one. Of a build of "all signers", every
    packet is taken again, since every one of them lists everybody.

    With ``only`` (mission ids: "build this mission now"), the packets of
    those missions are taken again whether out of date or not, a packet is
    added for any of them opened since, and no other packet changes (except
    in a build of "all signers", where every packet does).
    """
    chosen = None if only is None else set(only)
    with transaction.atomic():
        build = PacketBuild.objects.select_for_update().select_related("campaign").get(pk=build.pk)
        detect_moves(build)
        if chosen is None and not stale_packets(build).exists():
            return 0
        now = timezone.now()
        max_id = (
            Signature.objects.filter(petition_id=build.petition_id).aggregate(top=Max("id"))["top"]
            or 0
        )
        open_ids = set(snapshot.packet_missions(build.campaign).values_list("pk", flat=True))
        have = set(build.packets.values_list("mission_id", flat=True))
        opened = open_ids - have if chosen is None else (open_ids & chosen) - have
        added = Packet.objects.bulk_create(
            [Packet(build=build, mission_id=pk) for pk in sorted(opened)]
        )
        if build.scope == PacketBuild.Scope.ALL:
            targets = build.packets.exclude(status=Packet.Status.DROPPED)
        elif chosen is not None:
            targets = build.packets.filter(mission_id__in=sorted(chosen))
        else:
            targets = build.packets.filter(
                Q(pk__in=stale_packets(build)) | Q(pk__in=[p.pk for p in added])
            )
        rows = list(targets.values_list("pk", "mission_id", "file"))
        if not rows:
            return 0
        missions = {mission_id for _pk, mission_id, _file in rows}
        kept = [pk for pk, mission_id, _file in rows if mission_id in open_ids]
        dropped = [pk for pk, mission_id, _file in rows if mission_id not in open_ids]

        counted = snapshot.counted_until(build.petition_id, max_id, now)
        if build.scope == PacketBuild.Scope.ALL:
            build.entries.all().delete()
            snapshot.take(build, counted)
        else:
            # A signature that moved into one of these missions leaves its old row
            # (whose mission is out of date too: detect_moves marked it).
            build.entries.filter(
                Q(mission_id__in=missions) | Q(signature__route__mission_id__in=missions)
            ).delete()
            snapshot.take(build, counted.filter(route__mission_id__in=missions & open_ids))
        total = counted.count()

        fresh = {"file": "", "sha256": "", "error": "", "built_at": None, "stale_reason": ""}
        Packet.objects.filter(pk__in=dropped).update(
            status=Packet.Status.DROPPED, revision=F("revision") + 1, stale_since=None, **fresh
        )
        Packet.objects.filter(pk__in=kept).update(
            status=Packet.Status.PENDING,
            revision=F("revision") + 1,
            stale_since=None,
            snapshot_at=now,
            petition_total=total,
            **fresh,
        )
        doomed = [name for _pk, _mission, name in rows if name]
        if build.zip_file:
            doomed.append(build.zip_file.name)
        PacketBuild.objects.filter(pk=build.pk).update(
            zip_file="",
            zip_sha256="",
            total=build.packets.exclude(status=Packet.Status.DROPPED).count(),
        )
        transaction.on_commit(lambda: _delete_files(doomed))
    logger.info(
        "packet build %s brought up to date: %d packets taken again, %d left out",
        build.pk,
        len(kept),
        len(dropped),
    )
    return len(rows)


def missing_signatures(build: PacketBuild) -> int:
    """Counted signatures of the petition that are in none of the build's packets."""
    return (
        Signature.objects.counted()
        .filter(petition_id=build.petition_id)
        .exclude(packet_entries__build_id=build.pk)
        .count()
    )

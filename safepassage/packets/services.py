"""Starting, running, interrupting and resuming a bulk packet build.

State lives in the ``PacketBuild`` and ``Packet`` rows, never only in the
queue: a task takes a packet id, does nothing if the packet is done or its
build is interrupted, and writes its file under a name fixed by the build
and the mission, so a crashed or repeated task just builds the same bytes
again. ``resume`` re-queues whatever is not done, which is also how a build
recovers after its worker was killed mid-task; it first takes a fresh
snapshot for the packets marked out of date (``staleness.py``).
``build_mission_now`` does the same for one mission's packet alone.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import traceback
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.text import get_valid_filename

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.models import Mission
from safepassage.directory.routing import route_petition
from safepassage.letters.models import LetterVersion
from safepassage.packets import archive, snapshot, staleness
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tasks import enqueue
from safepassage.signatures.models import Signature

logger = logging.getLogger(__name__)

# Builds in which a packet asked for alone is still built (``build_mission_now``).
WAITING = (PacketBuild.Status.PAUSED, PacketBuild.Status.FAILED)


def _storage() -> Storage:
    """Where packet files live: the storage of ``Packet.file`` itself."""
    return Packet._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def packet_path(build: PacketBuild, mission: Mission) -> str:
    """Where a packet is stored (its stable technical name; people see ``archive.packet_name``)."""
    return f"packets/{build.pk}/{get_valid_filename(mission.key) or 'mission'}.pdf"


def zip_path(build: PacketBuild) -> str:
    return f"packet-builds/{build.campaign.slug}-packets-{build.pk}.zip"


def approved_versions(campaign: Campaign) -> list[LetterVersion]:
    """The approved version of every letter of the campaign that goes into packets."""
    return list(
        LetterVersion.objects.filter(
            letter__campaign=campaign,
            letter__in_packets=True,
            letter__approved_version=F("pk"),
            status=LetterVersion.Status.APPROVED,
        ).order_by("pk")
    )


def route_new_signatures(petition: Petition) -> int:
    """Route the petition's confirmed signatures not routed yet; how many.

    Before a snapshot, so that a signature confirmed a moment ago is in its
    mission's packet rather than in none. Outside any transaction: routing
    writes in batches of its own. (No check beforehand: it would read the
    petition's confirmed signatures once more, as routing itself does.)
    """
    return route_petition(Petition.objects.select_related("campaign").get(pk=petition.pk)).routed


def start_build(
    campaign: Campaign, petition: Petition, *, scope: str, user: Any = None
) -> PacketBuild:
    """Route new signatures, fix the snapshot, create one pending packet per open mission."""
    if petition.campaign_id != campaign.pk:
        raise ValueError("the petition belongs to another campaign")
    if scope not in PacketBuild.Scope.values:
        raise ValueError(f"unknown scope {scope!r}")
    route_new_signatures(petition)
    with transaction.atomic():
        now = timezone.now()
        max_id = Signature.objects.filter(petition=petition).aggregate(top=Max("id"))["top"] or 0
        missions = list(snapshot.packet_missions(campaign).order_by("key"))
        build = PacketBuild.objects.create(
            campaign=campaign,
            petition=petition,
            scope=scope,
            snapshot_at=now,
            max_signature_id=max_id,
            total=len(missions),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        total = snapshot.take(build, snapshot.counted_until(petition.pk, max_id, now))
        PacketBuild.objects.filter(pk=build.pk).update(signature_total=total)
        build.signature_total = total
        build.letter_versions.set(approved_versions(campaign))
        Packet.objects.bulk_create(
            [
                Packet(build=build, mission=m, snapshot_at=now, petition_total=total)
                for m in missions
            ]
        )
        ids = list(build.packets.order_by("pk").values_list("pk", flat=True))
        transaction.on_commit(lambda: enqueue(ids))
    logger.info("packet build %s started: %d packets", build.pk, len(ids))
    if not ids:
        finish(build.pk)
    return build


def _store(name: str, data: bytes | File[Any], sha256: str) -> str:
    """Store ``data`` as exactly ``name``, replacing an older file of that name."""
    if _storage().exists(name):
        with _storage().open(name, "rb") as old:
            if _sha256_of(old) == sha256:
                return name
        _storage().delete(name)
    content = ContentFile(data) if isinstance(data, bytes) else data
    return _storage().save(name, content)


def _sha256_of(handle: Any) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def build_one(packet_id: int, alone: bool = False) -> str:
    """Build one packet if it is still needed; returns what happened.

    Idempotent: a done packet, a missing one and one whose build is
    interrupted are left alone; ``alone`` (someone asked for this packet to
    be built now, ``build_mission_now``) builds it in an interrupted or
    failed build too. A failure is recorded as the exception's type
    only (its message could quote a signer's name) and the traceback is
    logged without the message, for the same reason.
    """
    from safepassage.packets.assemble import build_packet

    packet = (
        Packet.objects.select_related("build", "build__campaign", "build__petition", "mission")
        .filter(pk=packet_id)
        .first()
    )
    if packet is None:
        return "missing"
    if packet.status == Packet.Status.DONE:
        return "done already"
    build = packet.build
    if build.status != PacketBuild.Status.RUNNING and not (alone and build.status in WAITING):
        return "build not running"
    if packet.status == Packet.Status.DROPPED:
        return "left out"
    Packet.objects.filter(pk=packet.pk).update(attempts=F("attempts") + 1)
    # Only this revision of the packet may be written: an erasure or a fresh
    # snapshot while this task runs makes its result worthless.
    current = Packet.objects.filter(pk=packet.pk, revision=packet.revision).exclude(
        status=Packet.Status.DONE
    )
    try:
        data, counts = build_packet(build, packet.mission)
        sha256 = hashlib.sha256(data).hexdigest()
        stored = _store(packet_path(build, packet.mission), data, sha256)
    except Exception as error:
        reason = f"{type(error).__name__} while building the packet"
        current.update(status=Packet.Status.FAILED, error=reason)
        logger.error(
            "packet %s of build %s failed: %s\n%s",
            packet.pk,
            build.pk,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        finish(build.pk, alone=alone)
        return "failed"
    written = current.update(
        status=Packet.Status.DONE,
        error="",
        file=stored,
        sha256=sha256,
        pages=counts["pages"],
        named_count=counts["named"],
        unnamed_count=counts["unnamed"],
        withheld_count=counts["withheld"],
        total_count=counts["total"],
        built_at=timezone.now(),
    )
    if not written:
        return _superseded(packet.pk, stored, sha256, alone)
    finish(build.pk, alone=alone)
    return "built"


def _superseded(packet_id: int, stored: str, sha256: str, alone: bool) -> str:
    """The packet changed while it was built: drop the file, build it again if it runs."""
    now = Packet.objects.select_related("build").get(pk=packet_id)
    if now.status == Packet.Status.DONE:
        return "done already"
    # Unless another task has written the packet's new content there meanwhile.
    if _storage().exists(stored):
        with _storage().open(stored, "rb") as handle:
            ours = _sha256_of(handle) == sha256
        if ours:
            _storage().delete(stored)
    running = now.build.status == PacketBuild.Status.RUNNING
    if now.status == Packet.Status.PENDING and (running or (alone and now.build.status in WAITING)):
        enqueue([packet_id], alone=alone)
    return "superseded"


def interrupt(build: PacketBuild) -> bool:
    """Pause a running build: queued tasks find it paused and do nothing."""
    changed = PacketBuild.objects.filter(pk=build.pk, status=PacketBuild.Status.RUNNING).update(
        status=PacketBuild.Status.PAUSED
    )
    build.refresh_from_db()
    return bool(changed)


def resume(build: PacketBuild) -> int:
    """Bring the build up to date, queue every packet not done and run it; how many.

    New signatures are routed first, then the packets marked out of date get
    a fresh snapshot (``staleness.refresh``); the others keep theirs, and
    their files. A finished build with nothing out of date stays as it is.
    """
    route_new_signatures(build.petition)
    changed = staleness.refresh(build)
    with transaction.atomic():
        build.packets.filter(status=Packet.Status.FAILED).update(
            status=Packet.Status.PENDING, error=""
        )
        ids = list(
            build.packets.filter(status=Packet.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows = PacketBuild.objects.filter(pk=build.pk)
        if not (ids or changed):
            rows = rows.exclude(status=PacketBuild.Status.DONE)
        rows.update(status=PacketBuild.Status.RUNNING, finished_at=None)
        transaction.on_commit(lambda: enqueue(ids))
    build.refresh_from_db()
    if not ids:
        finish(build.pk)
        build.refresh_from_db()
    return len(ids)


def build_mission_now(build: PacketBuild, mission_id: int) -> Packet | None:
    """Build one mission's packet of the build again, now, from a fresh snapshot.

    The same machinery as bringing a build up to date: new signatures are
    routed, ``staleness.refresh`` takes a fresh snapshot for this mission's
    packet alone (adding one if the mission opened since the build started)
    and one task builds it, even if the build is interrupted; every other
    packet keeps its file. In a build of "all signers" every packet lists
    everybody, so the whole build is brought up to date (``resume``).
    Returns the packet, or None if the mission gets none (closed, or not of
    the campaign's target government).
    """
    route_new_signatures(build.petition)
    staleness.refresh(build, only=[mission_id])
    packet = build.packets.filter(mission_id=mission_id).exclude(status=Packet.Status.DROPPED)
    if build.scope == PacketBuild.Scope.ALL:
        resume(build)
        return packet.first()
    with transaction.atomic():
        row = packet.select_for_update().first()
        if row is None:
            return None
        if row.status == Packet.Status.FAILED:
            Packet.objects.filter(pk=row.pk).update(status=Packet.Status.PENDING, error="")
        PacketBuild.objects.filter(pk=build.pk, status=PacketBuild.Status.DONE).update(
            status=PacketBuild.Status.RUNNING, finished_at=None
        )
        pk = row.pk
        transaction.on_commit(lambda: enqueue([pk], alone=True))
    logger.info("packet %s of build %s: built again on request", pk, build.pk)
    build.refresh_from_db()
    return Packet.objects.select_related("mission").get(pk=pk)


def finish(build_id: int, *, alone: bool = False) -> str:
    """Close the build once no packet is pending: the ZIP if all are done, else failed.

    After a packet built ``alone``, an interrupted or failed build whose every
    packet is now done is finished too; one with packets still waiting stays
    as it was.
    """
    build = PacketBuild.objects.select_related("campaign").filter(pk=build_id).first()
    if build is None:
        return "not running"
    if build.status != PacketBuild.Status.RUNNING:
        if not (alone and build.status in WAITING):
            return "not running"
        waiting = build.packets.exclude(status__in=[Packet.Status.DONE, Packet.Status.DROPPED])
        if waiting.exists():
            return "waiting"
        stored, sha256 = write_zip(build)
        PacketBuild.objects.filter(pk=build.pk, status=build.status).update(
            status=PacketBuild.Status.DONE,
            zip_file=stored,
            zip_sha256=sha256,
            finished_at=timezone.now(),
        )
        return "done"
    statuses = set(build.packets.values_list("status", flat=True).distinct())
    statuses.discard(Packet.Status.DROPPED)
    if Packet.Status.PENDING in statuses:
        return "pending"
    if Packet.Status.FAILED in statuses:
        PacketBuild.objects.filter(pk=build.pk, status=PacketBuild.Status.RUNNING).update(
            status=PacketBuild.Status.FAILED, finished_at=timezone.now()
        )
        return "failed"
    stored, sha256 = write_zip(build)
    PacketBuild.objects.filter(pk=build.pk, status=PacketBuild.Status.RUNNING).update(
        status=PacketBuild.Status.DONE,
        zip_file=stored,
        zip_sha256=sha256,
        finished_at=timezone.now(),
    )
    logger.info("packet build %s finished", build.pk)
    return "done"


def write_zip(build: PacketBuild) -> tuple[str, str]:
    """Write the build's ZIP (``archive.py``) to storage; returns name, sha256."""
    with tempfile.TemporaryFile() as spool:
        archive.write(build, spool)
        spool.seek(0)
        sha256 = _sha256_of(spool)
        spool.seek(0)
        stored = _store(zip_path(build), File(spool, name="packets.zip"), sha256)
    return stored, sha256


def progress(build: PacketBuild) -> dict[str, int]:
    """How many packets of the build are done, failed, pending and out of date."""
    rows = build.packets.order_by().values_list("status").annotate(n=Count("id"))
    counts = {status: n for status, n in rows}
    return {
        "total": build.total,
        "done": counts.get(Packet.Status.DONE, 0),
        "failed": counts.get(Packet.Status.FAILED, 0),
        "pending": counts.get(Packet.Status.PENDING, 0),
        "dropped": counts.get(Packet.Status.DROPPED, 0),
        "stale": staleness.stale_packets(build).count(),
    }


def build_letter_versions(build: PacketBuild) -> list[LetterVersion]:
    """The cover letters of a build, in the order they are printed."""
    from safepassage.packets.assemble import letter_versions

    return letter_versions(build)

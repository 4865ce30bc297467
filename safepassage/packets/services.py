"""Starting, running, interrupting and resuming a bulk packet build.

State lives in the ``PacketBuild`` and ``Packet`` rows, never only in the
queue: a task takes a packet id, does nothing if the packet is done or its
build is interrupted, and writes its file under a name fixed by the build
and the mission, so a crashed or repeated task just builds the same bytes
again. ``resume`` re-queues whatever is not done, which is also how a build
recovers after its worker was killed mid-task.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
import traceback
import zipfile
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.text import get_valid_filename

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.models import Mission
from safepassage.letters.models import LetterVersion
from safepassage.lib import geo
from safepassage.lib.spreadsheet import neutralise
from safepassage.packets.models import Packet, PacketBuild
from safepassage.signatures.models import Signature

logger = logging.getLogger(__name__)

# Every member of the ZIP gets this time, so the archive depends on contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = (
    "mission_key",
    "mission_name",
    "city",
    "country",
    "postal_address",
    "email",
    "signatures",
    "named",
    "unnamed",
    "withheld",
    "pages",
    "sha256",
    "file",
)


def _storage() -> Storage:
    """Where packet files live: the storage of ``Packet.file`` itself."""
    return Packet._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def packet_filename(mission: Mission) -> str:
    return f"{get_valid_filename(mission.key) or 'mission'}.pdf"


def packet_path(build: PacketBuild, mission: Mission) -> str:
    return f"packets/{build.pk}/{packet_filename(mission)}"


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


def packet_missions(campaign: Campaign) -> Any:
    """Every open mission of the target government: each one gets the petition."""
    return Mission.objects.of(campaign.target_government).open().order_by("key")


def start_build(
    campaign: Campaign, petition: Petition, *, scope: str, user: Any = None
) -> PacketBuild:
    """Fix the snapshot, create one pending packet per open mission, queue them."""
    if petition.campaign_id != campaign.pk:
        raise ValueError("the petition belongs to another campaign")
    if scope not in PacketBuild.Scope.values:
        raise ValueError(f"unknown scope {scope!r}")
    with transaction.atomic():
        now = timezone.now()
        max_id = Signature.objects.filter(petition=petition).aggregate(top=Max("id"))["top"] or 0
        total = (
            Signature.objects.counted()
            .filter(petition=petition, confirmed_at__lte=now, id__lte=max_id)
            .count()
        )
        missions = list(packet_missions(campaign))
        build = PacketBuild.objects.create(
            campaign=campaign,
            petition=petition,
            scope=scope,
            snapshot_at=now,
            max_signature_id=max_id,
            signature_total=total,
            total=len(missions),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        build.letter_versions.set(approved_versions(campaign))
        Packet.objects.bulk_create([Packet(build=build, mission=m) for m in missions])
        ids = list(build.packets.order_by("pk").values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue(ids))
    logger.info("packet build %s started: %d packets", build.pk, len(ids))
    if not ids:
        finish(build.pk)
    return build


def _enqueue(packet_ids: list[int]) -> None:
    from safepassage.packets.tasks import build_packet_task

    for packet_id in packet_ids:
        build_packet_task.enqueue(packet_id)


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


def build_one(packet_id: int) -> str:
    """Build one packet if it is still needed; returns what happened.

    Idempotent: a done packet, a missing one and one whose build is
    interrupted are left alone. A failure is recorded as the exception's type
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
    if build.status != PacketBuild.Status.RUNNING:
        return "build not running"
    Packet.objects.filter(pk=packet.pk).update(attempts=F("attempts") + 1)
    try:
        data, counts = build_packet(build, packet.mission)
        sha256 = hashlib.sha256(data).hexdigest()
        stored = _store(packet_path(build, packet.mission), data, sha256)
    except Exception as error:
        reason = f"{type(error).__name__} while building the packet"
        Packet.objects.filter(pk=packet.pk).exclude(status=Packet.Status.DONE).update(
            status=Packet.Status.FAILED, error=reason
        )
        logger.error(
            "packet %s of build %s failed: %s\n%s",
            packet.pk,
            build.pk,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        finish(build.pk)
        return "failed"
    Packet.objects.filter(pk=packet.pk).exclude(status=Packet.Status.DONE).update(
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
    finish(build.pk)
    return "built"


def interrupt(build: PacketBuild) -> bool:
    """Pause a running build: queued tasks find it paused and do nothing."""
    changed = PacketBuild.objects.filter(pk=build.pk, status=PacketBuild.Status.RUNNING).update(
        status=PacketBuild.Status.PAUSED
    )
    build.refresh_from_db()
    return bool(changed)


def resume(build: PacketBuild) -> int:
    """Queue every packet that is not done again and run the build; returns how many."""
    with transaction.atomic():
        PacketBuild.objects.filter(pk=build.pk).exclude(status=PacketBuild.Status.DONE).update(
            status=PacketBuild.Status.RUNNING, finished_at=None
        )
        build.packets.filter(status=Packet.Status.FAILED).update(
            status=Packet.Status.PENDING, error=""
        )
        ids = list(
            build.packets.filter(status=Packet.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(ids))
    build.refresh_from_db()
    if not ids:
        finish(build.pk)
        build.refresh_from_db()
    return len(ids)


def finish(build_id: int) -> str:
    """Close the build once no packet is pending: the ZIP if all are done, else failed."""
    build = PacketBuild.objects.select_related("campaign").filter(pk=build_id).first()
    if build is None or build.status != PacketBuild.Status.RUNNING:
        return "not running"
    statuses = set(build.packets.values_list("status", flat=True).distinct())
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


def manifest(build: PacketBuild, packets: list[Packet]) -> bytes:
    """The CSV listing every packet of the ZIP, cells neutralised for spreadsheets."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    language = build.petition.default_language or "en"
    for packet in packets:
        mission = packet.mission
        row = (
            mission.key,
            mission.name,
            mission.city,
            geo.country_name(mission.host_country, language),
            mission.postal_address,
            mission.email,
            packet.total_count,
            packet.named_count,
            packet.unnamed_count,
            packet.withheld_count,
            packet.pages,
            packet.sha256,
            packet_filename(mission),
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


def write_zip(build: PacketBuild) -> tuple[str, str]:
    """Write the build's ZIP (sorted names, fixed times) to storage; returns name, sha256."""
    packets = list(build.packets.select_related("mission").order_by("mission__key"))
    members: list[tuple[str, Packet | None]] = [(MANIFEST_NAME, None)]
    members += [(packet_filename(p.mission), p) for p in packets]
    members.sort(key=lambda member: member[0])
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w") as archive:
            for name, packet in members:
                info = _zip_member(name)
                if packet is None:
                    archive.writestr(info, manifest(build, packets))
                    continue
                with (
                    _storage().open(packet.file.name, "rb") as source,
                    archive.open(info, "w") as target,
                ):
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        target.write(chunk)
        spool.seek(0)
        sha256 = _sha256_of(spool)
        spool.seek(0)
        stored = _store(zip_path(build), File(spool, name="packets.zip"), sha256)
    return stored, sha256


def progress(build: PacketBuild) -> dict[str, int]:
    """How many packets of the build are done, failed and pending."""
    rows = build.packets.order_by().values_list("status").annotate(n=Count("id"))
    counts = {status: n for status, n in rows}
    return {
        "total": build.total,
        "done": counts.get(Packet.Status.DONE, 0),
        "failed": counts.get(Packet.Status.FAILED, 0),
        "pending": counts.get(Packet.Status.PENDING, 0),
    }


def build_letter_versions(build: PacketBuild) -> list[LetterVersion]:
    """The cover letters of a build, in the order they are printed."""
    from safepassage.packets.assemble import letter_versions

    return letter_versions(build)


def forget_signature(petition_id: int, signature_id: int) -> int:
    """Take an erased signature out of every built packet that may hold it.

    Called when a signer withdraws or an organiser erases a signature; see
    ``reset_builds``. Returns how many packets were reset.
    """
    return reset_builds(petition_id, signature_id, f"signature {signature_id} erased")


def reset_builds(petition_id: int, lowest_signature_id: int, why: str) -> int:
    """Set back every built packet that may print a signature whose id is at least this one.

    For a change that a built packet must not keep: an erasure, or a
    moderation action (names withheld or shown again, signatures invalidated
    or restored). The packets of the builds whose snapshot includes such a
    signature are deleted and set back to pending, the build's ZIP is
    deleted and the build is marked interrupted, so the organisers see that
    it must be resumed; resuming builds those packets again from the
    signatures as they are now. Returns how many packets were reset.
    """
    builds = PacketBuild.objects.filter(
        petition_id=petition_id, max_signature_id__gte=lowest_signature_id
    )
    reset = 0
    doomed: list[str] = []
    for build in builds:
        # Every packet, not only the mission's own: each one prints the
        # petition's total, so no packet of the build may disagree with another.
        packets = build.packets.exclude(status=Packet.Status.PENDING)
        for name in packets.values_list("file", flat=True):
            if name:
                doomed.append(name)
            reset += 1
        packets.update(status=Packet.Status.PENDING, file="", sha256="", error="", built_at=None)
        if build.zip_file:
            doomed.append(build.zip_file.name)
        PacketBuild.objects.filter(pk=build.pk).update(
            status=PacketBuild.Status.PAUSED, zip_file="", zip_sha256="", finished_at=None
        )
    # The files go only once the rows say so: a rolled-back change keeps both.
    transaction.on_commit(lambda: _delete(doomed))
    if reset:
        logger.info("%s: %d built packets of petition %s reset", why, reset, petition_id)
    return reset


def _delete(names: list[str]) -> None:
    for name in names:
        _storage().delete(name)

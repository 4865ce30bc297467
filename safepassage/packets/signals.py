"""What the packets do when other apps change what a packet would print.

- Files of deleted packets and builds leave the private storage with their rows.
- The changes announced by the directory and the signatures apps mark the
  packets they affect out of date (``staleness.py``); a mission closed marks
  its own (every save of a closed mission does; marking twice changes nothing).
- After a moderation action the organiser is told how many packets of the
  petition are out of date (the answer to ``signatures_moderated``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import ngettext

from safepassage.directory.models import Mission
from safepassage.directory.signals import signatures_rerouted
from safepassage.packets import staleness
from safepassage.packets.models import Packet, PacketBuild
from safepassage.signatures.signals import signature_erased, signatures_moderated


@receiver(post_delete, sender=Packet)
@receiver(post_delete, sender=PacketBuild)
def delete_file(sender: Any, instance: Packet | PacketBuild, **kwargs: Any) -> None:
    field = instance.file if isinstance(instance, Packet) else instance.zip_file
    if field:
        storage, name = field.storage, field.name
        transaction.on_commit(lambda: storage.delete(name))


@receiver(signature_erased)
def signature_gone(sender: Any, petition_id: int, signature_id: int, **kwargs: Any) -> None:
    staleness.signatures_changed([signature_id], Packet.StaleReason.WITHDRAWN, erased=True)


@receiver(signatures_moderated)
def signatures_reviewed(
    sender: Any, petition_id: int, signature_ids: list[int], **kwargs: Any
) -> str | None:
    """Discard the packets that print these signatures; tell the organiser what is out of date."""
    staleness.signatures_changed(signature_ids, Packet.StaleReason.MODERATED, erased=False)
    stale = (
        Packet.objects.filter(build__petition_id=petition_id, stale_since__isnull=False)
        .exclude(status=Packet.Status.DROPPED)
        .count()
    )
    if not stale:
        return None
    return ngettext(
        "%(n)d packet of this petition is out of date: build it again on the "
        "packets page before delivery.",
        "%(n)d packets of this petition are out of date: build them again on the "
        "packets page before delivery.",
        stale,
    ) % {"n": stale}


@receiver(signatures_rerouted)
def signatures_moved(
    sender: Any, petition_id: int, signature_ids: list[int], **kwargs: Any
) -> None:
    # A petition without builds has no snapshot to compare with: the first
    # routing of a million signers asks one question here, not two hundred.
    if PacketBuild.objects.filter(petition_id=petition_id).exists():
        staleness.signatures_rerouted(signature_ids)


@receiver(post_save, sender=Mission)
def mission_changed(sender: Any, instance: Mission, **kwargs: Any) -> None:
    if instance.status != Mission.Status.OPEN:
        staleness.mission_gone(instance.pk)

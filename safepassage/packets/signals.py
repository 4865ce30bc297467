"""Files of deleted packets and builds leave the private storage with their rows."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from safepassage.packets.models import Packet, PacketBuild


@receiver(post_delete, sender=Packet)
@receiver(post_delete, sender=PacketBuild)
def delete_file(sender: Any, instance: Packet | PacketBuild, **kwargs: Any) -> None:
    field = instance.file if isinstance(instance, Packet) else instance.zip_file
    if field:
        storage, name = field.storage, field.name
        transaction.on_commit(lambda: storage.delete(name))

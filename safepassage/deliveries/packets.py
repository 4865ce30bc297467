"""The packet an e-mail delivery carries, kept beside its outbox message.

The outbox renders a message when it sends it, from rows and files it can
find again: the packet (a PDF) and what the mail says about it (file name,
SHA-256, link, the address it went to) are kept in the default storage under
``delivery-packets/<message id>/``, outside any public URL. They stay after
sending, as the record of exactly what was sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from safepassage.packets import naming

ROOT = "delivery-packets"


@dataclass(frozen=True)
class PacketInfo:
    filename: str  # "" when the mail carries a link instead
    sha256: str
    link: str
    to: str

    @property
    def has_file(self) -> bool:
        return bool(self.filename)


def safe_filename(name: str) -> str:
    """The name's last part as a file name valid everywhere, ending in .pdf ("petition.pdf")."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, _extension = base.rpartition(".")
    return naming.safe_filename(stem if dot else base, "pdf", fallback="petition")


def _dir(message_id: int) -> str:
    return f"{ROOT}/{int(message_id)}"


def store(message_id: int, info: PacketInfo, content: bytes | None) -> None:
    # A message id can come back after a rollback (SQLite reuses the highest
    # id): whatever an earlier, rolled-back attempt left there goes first.
    discard(message_id)
    if content is not None:
        default_storage.save(f"{_dir(message_id)}/packet.pdf", ContentFile(content))
    data = json.dumps(asdict(info), ensure_ascii=False).encode()
    default_storage.save(f"{_dir(message_id)}/info.json", ContentFile(data))


def discard(message_id: int) -> None:
    """Remove what store() wrote (its message was rolled back)."""
    for name in ("packet.pdf", "info.json"):
        path = f"{_dir(message_id)}/{name}"
        if default_storage.exists(path):
            default_storage.delete(path)


def info(message_id: int) -> PacketInfo | None:
    path = f"{_dir(message_id)}/info.json"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data = json.loads(handle.read().decode())
    return PacketInfo(
        filename=str(data.get("filename", "")),
        sha256=str(data.get("sha256", "")),
        link=str(data.get("link", "")),
        to=str(data.get("to", "")),
    )


class PacketChanged(Exception):
    """The stored packet is not the one that was recorded: it is not sent."""


def content(message_id: int, expected_sha256: str) -> bytes:
    """The stored packet, checked against its recorded SHA-256."""
    with default_storage.open(f"{_dir(message_id)}/packet.pdf", "rb") as handle:
        data: bytes = handle.read()
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        raise PacketChanged(f"packet of message {message_id} does not match its sha256")
    return data

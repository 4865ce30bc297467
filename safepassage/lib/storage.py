"""The storage of files that must never be reachable by a plain URL.

Nothing under ``MEDIA_ROOT`` needs a web server (logos are only read into
letters); files under ``PRIVATE_ROOT`` are only ever sent by views that check who asks:
delivery packets and their ZIPs list signers, letterheads and scanned
signatures belong to partner organisations.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """Used as ``FileField(storage=private_storage)``; resolved when first needed."""
    return storages["private"]

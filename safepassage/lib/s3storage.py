"""Files in an S3-compatible object store, for several hosts (``FILE_STORAGE=s3``).

Any store that speaks the S3 API and that a coalition can run itself will do
(MinIO, Garage, SeaweedFS, Ceph's radosgw) as well as a provider's. Every
object is written with the private ACL and no URL of the store is ever
handed out: like the files on disk (``lib/storage.py``), they reach a browser
only through the views that check who asks, which read them with the
store's keys. Kept apart from ``lib/storage.py`` so that boto3 is loaded only
where it is configured.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage

NOT_SERVED = "/private-files-are-not-served/"


class PrivateS3Storage(S3Storage):  # type: ignore[misc]
    """django-storages' S3 backend that never gives out a URL of the store."""

    def url(self, name: str, parameters: object = None, expire: object = None) -> str:
        # The same dead address as the files on disk (settings.STORAGES): the admin shows
        # the name, and nothing, not even a signed link, leads past the permission checks.
        return NOT_SERVED + name

"""Re-encrypt the webhook endpoints' secrets under the newest key of ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from safepassage.signatures.management.commands.rotate_encryption_keys import rotate_column
from safepassage.webhooks.models import Endpoint


class Command(BaseCommand):
    help = (
        "Re-encrypt the webhook endpoints' secrets with the first key of ENCRYPTION_KEYS "
        "(run it with rotate_encryption_keys, before the old key is removed)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = rotate_column(Endpoint.objects.all(), "secret_encrypted")
        self.stdout.write(f"re-encrypted the secrets of {rotated} webhook endpoints")

"""Re-encrypt every stored address under the newest key of ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.signatures.models import Signature

BATCH = 500


def rotate_column(queryset: Any, field: str) -> int:
    """Rotate one encrypted column in batches; safe to interrupt and run again."""
    rotated = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                queryset.select_for_update()
                .filter(pk__gt=last_pk)
                .exclude(**{field: ""})
                .order_by("pk")[:BATCH]
            )
            if not rows:
                return rotated
            for row in rows:
                setattr(row, field, crypto.rotate(getattr(row, field)))
            queryset.model.objects.bulk_update(rows, [field])
        rotated += len(rows)
        last_pk = rows[-1].pk


class Command(BaseCommand):
    help = (
        "Re-encrypt stored e-mail addresses with the first key of ENCRYPTION_KEYS. "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        signatures = rotate_column(Signature.objects.all(), "email_encrypted")
        messages = rotate_column(
            Message.objects.filter(status__in=Message.PENDING_STATUSES), "recipient_encrypted"
        )
        self.stdout.write(f"re-encrypted {signatures} signatures and {messages} queued messages")

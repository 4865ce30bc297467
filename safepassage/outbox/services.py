"""Putting mail in the outbox and starting the task that sends it."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend


def schedule_send(message_ids: Sequence[int]) -> None:
    """Start sending these messages once the caller's transaction commits.

    With the database task backend the task row is written inside the same
    transaction as the messages, so neither exists without the other. Other
    backends are told after the commit; the housekeeping sweep picks up any
    message whose task was lost.
    """
    from safepassage.outbox.tasks import send_messages

    ids = list(message_ids)
    if not ids:
        return
    if isinstance(task_backends["default"], DatabaseBackend) or transaction.get_autocommit():
        send_messages.enqueue(ids)
    else:
        transaction.on_commit(lambda: send_messages.enqueue(ids))

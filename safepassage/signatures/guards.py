"""The signing guards' own tables: used proof-of-work challenges and limit counters.

Defined here to keep ``models.py`` short; ``models.py`` imports them, so
they belong to the signatures app like its other models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UsedChallenge(models.Model):
    """A proof-of-work challenge that a submission has already used (signatures.botcheck).

    One solution must not vouch for many submissions: the signing writer
    inserts the challenge in the same transaction as the signature, and the
    unique constraint (not a cache that load could evict) tells it a replay.
    Nothing here points to a signature; housekeeping deletes a row once its
    challenge has expired, as it can then no longer be accepted anyway.
    """

    # sha256 hex of the challenge's salt and number: random, says nothing about anyone.
    challenge = models.CharField(max_length=64, unique=True)
    # Unix time after which the challenge is refused anyway (from its salt).
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("used bot challenge")
        verbose_name_plural = _("used bot challenges")

    def __str__(self) -> str:
        return self.challenge


class LimitCounter(models.Model):
    """How many submissions one key made in one window: the signing limits without Redis.

    The signing writer adds a batch's hits with one upsert per batch
    (signatures.throttle.count_in_database) in the batch's own transaction,
    so the counts hold across processes and no load can evict them, unlike a
    per-process cache. Keys are keyed hashes (of an address, a network, an
    e-mail domain) prefixed with the petition's id; nothing here names
    anyone. Housekeeping deletes windows that have ended
    (throttle.prune_counters). With REDIS_URL set the counts live in Redis
    instead and this table stays empty (docs/security.md, "Signing abuse").
    """

    scope = models.CharField(max_length=10)
    key = models.CharField(max_length=100)
    # Unix time at which the window began (a multiple of THROTTLE_WINDOW_SECONDS).
    window_start = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("signing limit counter")
        verbose_name_plural = _("signing limit counters")
        constraints = [
            # The upsert's conflict target: one row per key and window.
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="limit_counter_one_per_window"
            ),
        ]
        indexes = [
            # throttle.prune_counters deletes by window.
            models.Index(fields=["window_start"], name="limit_counter_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.window_start}"

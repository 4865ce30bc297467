"""Signatures collected on paper: their row key, name matching, possible duplicates, tallies.

A paper signature is a ``Signature`` with ``channel="paper"``: confirmed by
the organiser's declaration at import, routed to its mission and named in
its packet like an online one (unless it is count-only, ``publish_name``
false). It also records who collected it (``collected_by``) and on which
sheet or page (``sheet``).

A paper row without an e-mail address still needs the keyed hash that the
one-signature-per-person constraint and erasure work with: ``row_key``
gives it one of its own, a keyed hash of the signature's random uuid under a
key derived for this one purpose, so it can never equal an address hash and
never collide with another row. Erasing such a row therefore leaves a
tombstone that replays after a restore like any other (docs/privacy.md).

Two paper signatures of the same petition with the same name and place
(``person_key``: NFKC, case folded, Latin diacritics stripped, spaces
collapsed; the same city and country) are not merged: the import records a
``PaperDuplicate`` and an organiser decides (keep both, or drop one).

``PaperTally`` rows are what imports wrote before paper signatures kept
their names: a count per place and source, without names. They stay as
legacy counts, counted apart from the signatures (``CampaignStats.paper``).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
import uuid
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Petition

_ROW_LABEL = b"safepassage.signatures.paper-row"


@lru_cache(maxsize=4)
def _row_key(signer_key: bytes) -> bytes:
    return hmac.new(signer_key, _ROW_LABEL, hashlib.sha256).digest()


def row_key(signature_uuid: uuid.UUID) -> str:
    """The person key of a paper signature without an address (stored as its ``email_hash``)."""
    key = _row_key(settings.SIGNER_HASH_KEY)
    return hmac.new(key, signature_uuid.bytes, hashlib.sha256).hexdigest()


def _latin(character: str) -> bool:
    return unicodedata.name(character, "").startswith("LATIN")


def fold(text: str) -> str:
    """Text as name matching compares it: NFKC, case folded, Latin accents off, spaces collapsed.

    Only marks on Latin letters go: a Japanese voicing mark or a Hangul
    syllable is part of the name, not an accent.
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept: list[str] = []
    latin = False
    for character in decomposed:
        if unicodedata.combining(character):
            if latin:
                continue
        else:
            latin = _latin(character)
        kept.append(character)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def person_key(first_name: str, last_name: str, city: str, country: str) -> tuple[str, str, str]:
    """What two paper rows share when they may be the same person."""
    return (fold(f"{first_name} {last_name}"), fold(city), country.upper())


class PaperDuplicate(models.Model):
    """Two paper signatures with the same name and place, waiting for an organiser's decision.

    Never merged by themselves: an organiser keeps both or drops one (erasing
    that signature, which takes this row with it).
    """

    class Decision(models.TextChoices):
        OPEN = "", _("not decided yet")
        KEEP = "keep", _("both kept")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="paper_duplicates"
    )
    # The earlier signature (smaller id) and the later one.
    first = models.ForeignKey(
        "signatures.Signature", on_delete=models.CASCADE, related_name="+", verbose_name=_("first")
    )
    second = models.ForeignKey(
        "signatures.Signature", on_delete=models.CASCADE, related_name="+", verbose_name=_("second")
    )
    decision = models.CharField(_("decision"), max_length=4, choices=Decision, blank=True)
    found_at = models.DateTimeField(_("found"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible paper duplicate")
        verbose_name_plural = _("possible paper duplicates")
        ordering = ["petition", "first", "second"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="paper_duplicate_once"),
            models.CheckConstraint(
                name="paper_duplicate_ordered", condition=Q(first__lt=F("second"))
            ),
            models.CheckConstraint(
                name="paper_duplicate_decision_valid", condition=Q(decision__in=["", "keep"])
            ),
            models.CheckConstraint(
                name="paper_duplicate_decided_has_time",
                condition=Q(decision="") | Q(decided_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["petition", "decision"], name="paper_duplicate_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id}"


class PaperTally(models.Model):
    """Legacy: paper signatures without an e-mail address, counted per place, without names.

    Imports before paper signatures kept their names wrote these; nothing
    writes them any more. They are kept as they are (there are no names to
    make signatures of), counted apart from the signatures and listed in the
    paper totals under their source.
    """

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="paper_tallies")
    source = models.CharField(_("source"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("state or province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    count = models.PositiveIntegerField(_("number of signatures"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("paper tally")
        verbose_name_plural = _("paper tallies")
        constraints = [
            models.CheckConstraint(name="paper_tally_count_positive", condition=Q(count__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.count} ({self.source})"

"""Moderation before delivery: withhold joke or abusive names, invalidate obvious fraud.

Two levers, both audited (ModerationAction, who, when, why, what it matched)
and reversible exactly once (ModerationEntry keeps each signature's previous
state):

- withholding a name keeps the signature counted, but its name, city and
  region never go into a packet (``Signature.name_withheld``);
- invalidating uses the existing hold: a non-empty ``review_reason`` means
  "not counted" everywhere (``Signature.objects.counted()``), so the
  campaign's totals drop once its statistics are refreshed, which every
  action here schedules.

Every action, and its reversal, is announced (``signals.signatures_moderated``):
the built packets that print a signature it changed are discarded and marked
out of date, since a name withheld now must not stay in a packet built before.

Organisers select a flood by e-mail domain, IP hash and/or time window (all
given criteria must hold). The database never holds plain domains: the
typed domain is canonicalised like a signer's address and hashed with the
same keyed machinery (services.hash_domain), then compared with
``Signature.email_domain_hash``. Signatures signed before that column
existed have no domain hash and are never matched by domain.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safepassage.campaigns.models import Petition
from safepassage.lib.clients import ip_hash as hash_ip
from safepassage.lib.emails import InvalidEmail, canonicalize
from safepassage.signatures import counter
from safepassage.signatures.models import (
    MODERATION_MARKER,
    ModerationAction,
    ModerationEntry,
    Signature,
)
from safepassage.signatures.services import hash_domain, release_mail, withhold_mail
from safepassage.signatures.signals import signatures_moderated

__all__ = [
    "MODERATION_MARKER",
    "Criteria",
    "ModerationError",
    "canonical_domain",
    "clear_review",
    "hide_names",
    "invalidate",
    "preview",
    "reverse",
    "unhide_names",
    "withheld_q",
]

_BATCH = 500
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ModerationError(ValueError):
    """Raised with a message that can be shown to the organiser as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def canonical_domain(typed: str) -> str:
    """The domain as a signer's address would carry it: lower case, IDNA, gmail aliases folded."""
    text = typed.strip().lstrip("@").strip()
    if not text:
        raise ModerationError(_("Enter a domain such as mailinator.com."))
    try:
        # The same canonicalisation as signing, so "GoogleMail.com" finds gmail.com signers.
        return canonicalize(f"x@{text}").domain
    except InvalidEmail as error:
        raise ModerationError(_("%(domain)s is not a valid domain.") % {"domain": text}) from error


def canonical_ip_hash(typed: str) -> str:
    """An IP hash as shown in the admin, or an IP address, which is hashed here like at signing."""
    text = typed.strip().lower()
    if _HEX64.fullmatch(text):
        return text
    if re.fullmatch(r"[0-9a-f.:]+", text) and ("." in text or ":" in text):
        return hash_ip(text)
    raise ModerationError(_("Enter an IP hash (64 hexadecimal characters) or an IP address."))


@dataclass(frozen=True)
class Criteria:
    """What selects the signatures of an invalidation; every criterion given must hold."""

    domain_hash: str = ""
    domain_label: str = ""
    ip_hash: str = ""
    start: datetime | None = None  # signed at or after
    end: datetime | None = None  # signed before

    @classmethod
    def build(
        cls,
        *,
        domain: str | None = None,
        ip_hash: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Criteria:
        label = canonical_domain(domain) if domain else ""
        criteria = cls(
            domain_hash=hash_domain(label) if label else "",
            domain_label=label,
            ip_hash=canonical_ip_hash(ip_hash) if ip_hash else "",
            start=start,
            end=end,
        )
        if not (criteria.domain_hash or criteria.ip_hash or start or end):
            raise ModerationError(_("Give at least one of: domain, IP hash, time window."))
        if start and end and start >= end:
            raise ModerationError(_("The end of the time window must be after its start."))
        return criteria

    def as_json(self) -> dict[str, str]:
        """For the audit: the typed domain is kept beside its hash; it is the organiser's text."""
        data: dict[str, str] = {}
        if self.domain_hash:
            data["domain_hash"] = self.domain_hash
            data["domain_label"] = self.domain_label
        if self.ip_hash:
            data["ip_hash"] = self.ip_hash
        if self.start:
            data["from"] = self.start.isoformat()
        if self.end:
            data["to"] = self.end.isoformat()
        return data

    def matching(self, petition: Petition) -> QuerySet[Signature]:
        """The petition's signatures this would invalidate (not those invalidated already)."""
        rows = Signature.objects.filter(petition=petition).exclude(
            review_reason__startswith=MODERATION_MARKER
        )
        if self.domain_hash:
            rows = rows.filter(email_domain_hash=self.domain_hash)
        if self.ip_hash:
            rows = rows.filter(ip_hash=self.ip_hash)
        if self.start:
            rows = rows.filter(created_at__gte=self.start)
        if self.end:
            rows = rows.filter(created_at__lt=self.end)
        return rows


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ModerationError(_("Give a reason; it is kept with the action."))
    return text[:500]


def _selected(petition: Petition, signature_ids: Iterable[int | str]) -> QuerySet[Signature]:
    ids = {int(pk) for pk in signature_ids}
    return Signature.objects.filter(petition=petition, pk__in=ids)


def preview(petition: Petition, criteria: Mapping[str, Any]) -> int:
    """How many signatures an action with these criteria would change; changes nothing.

    ``criteria`` holds the keyword arguments of invalidate (domain, ip_hash,
    start, end), or ``signature_ids`` (with ``withheld``: True to count
    names that unhide_names would show again) for the name actions.
    """
    if "signature_ids" in criteria:
        withheld = bool(criteria.get("withheld", False))
        return _selected(petition, criteria["signature_ids"]).filter(name_withheld=withheld).count()
    return (
        Criteria.build(
            domain=criteria.get("domain"),
            ip_hash=criteria.get("ip_hash"),
            start=criteria.get("start"),
            end=criteria.get("end"),
        )
        .matching(petition)
        .count()
    )


def _changed(
    petition: Petition, action: ModerationAction, signature_ids: Sequence[int]
) -> tuple[str, ...]:
    """In the moderating transaction: what follows from changing these signatures.

    The live counter is recounted at once; the change is announced, so the
    statistics are refreshed after commit (reports) and the built packets
    that print any of them are discarded (packets: a name withheld now must
    not stay in a packet built before). Returns the receivers' notes for the
    organiser (``ModerationAction.notes``).
    """
    counter.recount(petition.pk)
    if not signature_ids:
        return ()
    answers = signatures_moderated.send(
        ModerationAction,
        campaign_id=petition.campaign_id,
        petition_id=petition.pk,
        signature_ids=list(signature_ids),
        action_id=action.pk,
    )
    return tuple(str(note) for _receiver, note in answers if note)


def _set_names(
    petition: Petition, signature_ids: Iterable[int | str], reason: str, user: Any, *, hide: bool
) -> ModerationAction:
    text = _reason(reason)
    ids = sorted({int(pk) for pk in signature_ids})
    with transaction.atomic():
        targets = list(
            _selected(petition, ids)
            .filter(name_withheld=not hide)
            .select_for_update()
            .values_list("pk", "review_reason")
        )
        if not targets:
            raise ModerationError(_("None of the selected signatures needs this change."))
        action = ModerationAction.objects.create(
            petition=petition,
            kind=ModerationAction.Kind.HIDE_NAMES if hide else ModerationAction.Kind.UNHIDE_NAMES,
            criteria={"signature_ids": [pk for pk, _reason in targets]},
            reason=text,
            created_by=user,
            affected=len(targets),
        )
        ModerationEntry.objects.bulk_create(
            [
                ModerationEntry(
                    action=action,
                    signature_id=pk,
                    previous_review_reason=previous,
                    previous_name_withheld=not hide,
                )
                for pk, previous in targets
            ],
            batch_size=_BATCH,
        )
        pks = [pk for pk, _previous in targets]
        for start in range(0, len(pks), _BATCH):
            Signature.objects.filter(pk__in=pks[start : start + _BATCH]).update(name_withheld=hide)
        action.notes = _changed(petition, action, pks)
    return action


def hide_names(
    petition: Petition, signature_ids: Iterable[int | str], reason: str, user: Any
) -> ModerationAction:
    """Keep these signatures counted but their names, cities and regions out of every packet."""
    return _set_names(petition, signature_ids, reason, user, hide=True)


def unhide_names(
    petition: Petition, signature_ids: Iterable[int | str], reason: str, user: Any
) -> ModerationAction:
    """Hand these names over again (signers who chose not to publish stay unnamed regardless)."""
    return _set_names(petition, signature_ids, reason, user, hide=False)


def invalidate(
    petition: Petition,
    *,
    domain: str | None = None,
    ip_hash: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str,
    user: Any,
) -> ModerationAction:
    """Stop counting the petition's signatures that match every criterion given.

    Signatures already held for another reason are included (their reason is
    remembered and restored on reversal); signatures already invalidated by
    another action are left to that action.
    """
    text = _reason(reason)
    criteria = Criteria.build(domain=domain, ip_hash=ip_hash, start=start, end=end)
    with transaction.atomic():
        targets = list(
            criteria.matching(petition).select_for_update().values_list("pk", "review_reason")
        )
        if not targets:
            raise ModerationError(_("No signature of this petition matches."))
        action = ModerationAction.objects.create(
            petition=petition,
            kind=ModerationAction.Kind.INVALIDATE,
            criteria=criteria.as_json(),
            reason=text,
            created_by=user,
            affected=len(targets),
        )
        ModerationEntry.objects.bulk_create(
            [
                ModerationEntry(
                    action=action,
                    signature_id=pk,
                    previous_review_reason=previous,
                    previous_name_withheld=False,
                )
                for pk, previous in targets
            ],
            batch_size=_BATCH,
        )
        pks = [pk for pk, _previous in targets]
        for first in range(0, len(pks), _BATCH):
            batch = pks[first : first + _BATCH]
            Signature.objects.filter(pk__in=batch).update(review_reason=action.marker)
            # Fraud gets no more mail: unsent (and held) messages are cancelled, their
            # addresses wiped. Reversing the action does not bring them back; a real
            # signer can ask for the link again.
            withhold_mail(batch)
        action.notes = _changed(petition, action, pks)
    return action


def clear_review(signatures: QuerySet[Signature]) -> tuple[int, int]:
    """Count these signatures (clear their hold) and send the mail held with them.

    Signatures invalidated by a moderation action are left alone: that is
    undone by reversing the action, so its audit stays true. Returns how
    many were cleared and how many were left for that reason.
    """
    with transaction.atomic():
        moderated = signatures.filter(review_reason__startswith=MODERATION_MARKER).count()
        held = list(
            signatures.exclude(review_reason="")
            .exclude(review_reason__startswith=MODERATION_MARKER)
            .values_list("pk", "petition_id")
        )
        pks = [pk for pk, _petition in held]
        cleared = 0
        for first in range(0, len(pks), _BATCH):
            batch = pks[first : first + _BATCH]
            # Only those still held: an invalidation meanwhile wins.
            cleared += (
                Signature.objects.filter(pk__in=batch)
                .exclude(review_reason="")
                .exclude(review_reason__startswith=MODERATION_MARKER)
                .update(review_reason="")
            )
            release_mail(batch)
        for petition_id in sorted({petition_id for _pk, petition_id in held}):
            counter.recount(petition_id)
    return cleared, moderated


def reverse(action: ModerationAction, user: Any) -> int:
    """Undo the action exactly, once; returns how many signatures were restored.

    A signature changed since by someone else (its hold cleared in the admin,
    its name shown again by a later action) is left as it is now.
    """
    with transaction.atomic():
        claimed = ModerationAction.objects.filter(pk=action.pk, reversed_at__isnull=True).update(
            reversed_at=timezone.now(), reversed_by=user
        )
        if not claimed:
            raise ModerationError(_("This action has already been reversed."))
        entries = ModerationEntry.objects.filter(action_id=action.pk)
        restored = 0
        if action.kind == ModerationAction.Kind.INVALIDATE:
            by_reason: dict[str, list[int]] = defaultdict(list)
            for signature_id, previous in entries.values_list(
                "signature_id", "previous_review_reason"
            ):
                by_reason[previous].append(signature_id)
            for previous, pks in by_reason.items():
                for first in range(0, len(pks), _BATCH):
                    restored += Signature.objects.filter(
                        pk__in=pks[first : first + _BATCH], review_reason=action.marker
                    ).update(review_reason=previous)
        else:
            by_state: dict[bool, list[int]] = defaultdict(list)
            for signature_id, previous_withheld in entries.values_list(
                "signature_id", "previous_name_withheld"
            ):
                by_state[previous_withheld].append(signature_id)
            for previous_withheld, pks in by_state.items():
                for first in range(0, len(pks), _BATCH):
                    restored += Signature.objects.filter(
                        pk__in=pks[first : first + _BATCH], name_withheld=not previous_withheld
                    ).update(name_withheld=previous_withheld)
        touched = [signature_id for (signature_id,) in entries.values_list("signature_id")]
        notes = _changed(action.petition, action, touched if restored else [])
    action.refresh_from_db()
    action.notes = notes
    return restored


def withheld_q() -> Q:
    """Signatures whose name, city and region must not go into a packet, for packet builders."""
    return Q(publish_name=False) | Q(name_withheld=True)

"""Unsubscribes outlive a restored backup: written to the erasure log, replayed after it.

An unsubscribe changes consent at once (services.unsubscribe); a database
restored from a backup taken before it would bring back the address and the
consent, and the next update would mail the person again. So every
``Unsubscribe`` row also goes into the erasure log outside the database
(``signatures.erasurelog``, ``ERASURE_LOG_PATH``) as a ``WithdrawalRecord``
of kind ``unsubscribe``: the housekeeping sweep and ``manage.py backup`` put
it there, ``manage.py restore`` replays it after the erasures
(docs/operations.md). A record names its row by the signature's or RSVP's
uuid, a coordinator by the keyed hash of their account's address; never by
an address, and not by a primary key (a restored database hands those out
again).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from safepassage.campaigns.models import Campaign
from safepassage.events.models import RSVP
from safepassage.lib.emails import InvalidEmail, canonicalize, email_hash
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Message
from safepassage.signatures.erasurelog import WithdrawalRecord
from safepassage.signatures.models import Signature
from safepassage.updates.models import Unsubscribe, UpdateRecipient

logger = logging.getLogger(__name__)


def _hash(address: str) -> str:
    try:
        return email_hash(canonicalize(address), settings.SIGNER_HASH_KEY)
    except InvalidEmail:
        return ""


def database_records() -> list[WithdrawalRecord]:
    """The database's unsubscribes whose row still exists, as log records.

    A signature or RSVP erased since needs none (its erasure, or its
    deletion, is what a restore must repeat).
    """
    rows = list(
        Unsubscribe.objects.order_by("at", "pk").values_list(
            "kind", "campaign_id", "ref", "user_id", "at", "via"
        )
    )

    def refs(kind: str) -> Any:
        # A subquery, not a list: no limit on the number of rows.
        return Unsubscribe.objects.filter(kind=kind).values("ref")

    uuids: dict[str, dict[int, Any]] = {
        Unsubscribe.Kind.SIGNATURE: dict(
            Signature.objects.filter(pk__in=refs(Unsubscribe.Kind.SIGNATURE)).values_list(
                "pk", "uuid"
            )
        ),
        Unsubscribe.Kind.RSVP: dict(
            RSVP.objects.filter(pk__in=refs(Unsubscribe.Kind.RSVP)).values_list("pk", "uuid")
        ),
    }
    coordinators = get_user_model().objects.filter(
        pk__in=Unsubscribe.objects.filter(kind=Unsubscribe.Kind.COORDINATOR).values("user_id")
    )
    hashes = {pk: _hash(address) for pk, address in coordinators.values_list("pk", "email")}
    records = []
    for kind, campaign_id, ref, user_id, at, via in rows:
        if kind == Unsubscribe.Kind.COORDINATOR:
            name = hashes.get(user_id, "")
        else:
            found = uuids.get(kind, {}).get(ref)
            name = str(found) if found else ""
        if name:
            records.append(WithdrawalRecord("unsubscribe", kind, campaign_id, name, at, via))
    return records


def _withhold_updates(**about: int) -> int:
    return Message.objects.filter(
        kind=Message.Kind.UPDATE, status__in=Message.PENDING_STATUSES, **about
    ).update(status=Message.Status.WITHHELD, recipient_encrypted="")


def _record(record: WithdrawalRecord, ref: int, previous: str, user_id: int | None) -> None:
    if not Unsubscribe.objects.filter(
        campaign_id=record.campaign_id, kind=record.target, ref=ref
    ).exists():
        Unsubscribe.objects.create(
            campaign_id=record.campaign_id,
            kind=record.target,
            ref=ref,
            user_id=user_id,
            previous=previous,
            via=record.via,
            at=record.at,
        )


def _replay_signature(record: WithdrawalRecord) -> bool:
    signature = Signature.objects.filter(uuid=record.ref, created_at__lte=record.at).first()
    if signature is None:
        return False
    changed = signature.contact != Signature.Contact.COUNT_ONLY or bool(signature.email_encrypted)
    if changed:
        Signature.objects.filter(pk=signature.pk).update(
            contact=Signature.Contact.COUNT_ONLY, email_encrypted=""
        )
    withheld = _withhold_updates(signature_id=signature.pk)
    _record(record, signature.pk, signature.contact if changed else "", None)
    return changed or bool(withheld)


def _replay_rsvp(record: WithdrawalRecord) -> bool:
    # An RSVP cancelled and opened again since is a new consent (its created_at moved).
    rsvp = RSVP.objects.filter(uuid=record.ref, created_at__lte=record.at).first()
    if rsvp is None:
        return False
    changed = rsvp.contact_ok or bool(rsvp.email_encrypted)
    if changed:
        RSVP.objects.filter(pk=rsvp.pk).update(contact_ok=False, email_encrypted="")
    withheld = _withhold_updates(rsvp_id=rsvp.pk)
    _record(record, rsvp.pk, "contact" if changed else "", None)
    return changed or bool(withheld)


def _replay_coordinator(record: WithdrawalRecord, users: dict[str, list[int]]) -> bool:
    changed = False
    for user_id in users.get(record.ref, []):
        if not Unsubscribe.objects.filter(
            campaign_id=record.campaign_id, kind=record.target, user_id=user_id
        ).exists():
            _record(record, user_id, "", user_id)
            changed = True
        withheld = Message.objects.filter(
            pk__in=UpdateRecipient.objects.filter(
                user_id=user_id, update__campaign_id=record.campaign_id, test=False
            ).values("message_id"),
            status__in=Message.PENDING_STATUSES,
        ).update(status=Message.Status.WITHHELD, recipient_encrypted="")
        changed = changed or bool(withheld)
    return changed


def replay(records: Sequence[WithdrawalRecord]) -> int:
    """Apply unsubscribes again, e.g. after a restore; how many rows it changed.

    A signature becomes "only count my signature" without its encrypted
    address, an RSVP may no longer be contacted and loses its address, a
    coordinator's opt-out of the campaign's updates is back; their unsent
    updates are withheld and the ``Unsubscribe`` row is there again.
    Idempotent: an unsubscribe already in force changes nothing. Records of
    campaigns or rows that no longer exist are skipped.
    """
    campaigns = set(
        Campaign.objects.filter(pk__in={r.campaign_id for r in records}).values_list(
            "pk", flat=True
        )
    )
    users: dict[str, list[int]] = {}
    if any(r.target == Unsubscribe.Kind.COORDINATOR for r in records):
        for pk, address in get_user_model().objects.exclude(email="").values_list("pk", "email"):
            users.setdefault(_hash(address), []).append(pk)
    changed = 0
    for record in records:
        if record.campaign_id not in campaigns:
            continue
        with database_write_lock(), transaction.atomic():
            if record.target == Unsubscribe.Kind.SIGNATURE:
                changed += _replay_signature(record)
            elif record.target == Unsubscribe.Kind.RSVP:
                changed += _replay_rsvp(record)
            elif record.target == Unsubscribe.Kind.COORDINATOR:
                changed += _replay_coordinator(record, users)
    if changed:
        logger.info("re-applied %d unsubscribes", changed)
    return changed

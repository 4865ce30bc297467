"""The signing workflow: submit, commit (grouped), confirm, withdraw, expire."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from safepassage.campaigns.models import Petition
from safepassage.lib import bulkinsert, crypto
from safepassage.lib.clients import ip_hash
from safepassage.lib.emails import CanonicalEmail, InvalidEmail, canonicalize, email_hash
from safepassage.lib.writelock import database_write_lock
from safepassage.outbox.models import Message
from safepassage.outbox.services import wake_senders
from safepassage.signatures import counter, throttle
from safepassage.signatures.consent import CONSENT_VERSION, consent_hash
from safepassage.signatures.models import Erasure, Signature
from safepassage.signatures.pending import (
    PendingSignature,
    hold_over_limits,
    hold_reused_challenges,
)
from safepassage.signatures.signals import signature_confirmed, signature_erased

logger = logging.getLogger(__name__)


def hash_email(raw: str) -> str:
    return email_hash(canonicalize(raw), settings.SIGNER_HASH_KEY)


# Domain hashes use a key derived from SIGNER_HASH_KEY for this one purpose, so
# a domain hash can never be matched against an address hash (or vice versa).
_DOMAIN_LABEL = b"safepassage.signatures.email-domain"


@lru_cache(maxsize=4)
def _domain_key(signer_key: bytes) -> bytes:
    return hmac.new(signer_key, _DOMAIN_LABEL, hashlib.sha256).digest()


def hash_domain(ascii_domain: str) -> str:
    """Keyed hash of a canonical domain (``CanonicalEmail.domain``), for moderation by domain."""
    key = _domain_key(settings.SIGNER_HASH_KEY)
    return hmac.new(key, ascii_domain.encode("ascii"), hashlib.sha256).hexdigest()


def commit_batch(items: Sequence[PendingSignature]) -> list[bool]:
    """Write submissions in one transaction; True where a row was created.

    The confirmation (or "signed again") mail is queued in the same
    transaction, and the mail senders are woken when it commits.
    """
    started = time.monotonic()
    with database_write_lock(), transaction.atomic():
        created = write_batch(items)
        wake_senders()
    # A new row costs the database more than a repeat's conflict (its indexes):
    # measured over a real server, about 0.2 ms, enough to tell after a thousand
    # tries whether someone signed. Every commit therefore ends no sooner than
    # SIGNING_COMMIT_FLOOR_MS after it began, longer than the commit itself
    # takes, so its answer comes at the same moment either way (docs/privacy.md).
    time.sleep(max(0.0, started + settings.SIGNING_COMMIT_FLOOR_MS / 1000 - time.monotonic()))
    return created


def write_batch(items: Sequence[PendingSignature]) -> list[bool]:
    """Insert submissions and their mail, inside the caller's transaction; True where created.

    A submission whose person already signed (in the database or earlier in
    the batch) creates no row but a "signed again" message to the address
    just typed; the caller answers both the same way. One ``INSERT ... ON
    CONFLICT DO NOTHING`` both inserts and tells who had signed: where a
    concurrent transaction (another request's, on PostgreSQL) wins the race
    for a person, the unique constraint decides and the loser's submission
    becomes a repeat.

    A new and a repeated signer cost the same statements, in the same order
    (invariant 2 of the brief: no timing oracle): the limits' upsert, the
    insert, the owners' lookup (run every time, though only repeats need
    it) and one message insert per submission; only values differ.
    A submission held for review gets its message "held": the senders skip
    it until an organiser clears the review (``release_mail``).
    """
    if not items:
        return []
    hold_reused_challenges(items)
    hold_over_limits(items)
    fresh: dict[tuple[int, str], PendingSignature] = {}
    for item in items:
        fresh.setdefault(_key(item), item)
    inserted = bulkinsert.insert(
        Signature,
        [item.fields for item in fresh.values()],
        on_conflict="ON CONFLICT (petition_id, email_hash) DO NOTHING",
        returning=["id", "petition_id", "email_hash"],
    )
    owners = {(petition_id, digest): pk for pk, petition_id, digest in inserted}
    created = [_key(item) in owners and fresh[_key(item)] is item for item in items]
    # For every batch, not only those with repeats: the same statements either way.
    owners = {**_owners(items), **owners}
    bulkinsert.insert(Message, _messages(items, created, owners))
    return created


def _key(item: PendingSignature) -> tuple[int, str]:
    return (item.fields["petition_id"], item.fields["email_hash"])


def _messages(
    items: Sequence[PendingSignature], created: list[bool], owners: dict[tuple[int, str], int]
) -> list[dict[str, Any]]:
    """The outbox message of each submission: a confirmation request, or "signed again"."""
    return [
        {
            "kind": Message.Kind.SIGNATURE_CONFIRM if is_new else Message.Kind.SIGNATURE_REPEAT,
            "status": (
                Message.Status.HELD if item.fields["review_reason"] else Message.Status.QUEUED
            ),
            "signature_id": owners[_key(item)],
            "recipient_encrypted": item.recipient_encrypted,
            "language": item.fields["language"],
        }
        for item, is_new in zip(items, created, strict=True)
    ]


def _owners(items: Sequence[PendingSignature]) -> dict[tuple[int, str], int]:
    """The ids of signatures that already exist for these (petition, person) pairs.

    The petition is part of the filter so that the lookup is a probe of the
    unique (petition, email_hash) index: without it, both databases scan the
    whole table on every commit, which grows with every signature.
    """
    by_petition: dict[int, set[str]] = {}
    for petition_id, digest in map(_key, items):
        by_petition.setdefault(petition_id, set()).add(digest)
    owners: dict[tuple[int, str], int] = {}
    # Plain SQL: it runs for every batch, and the ORM's building and compiling
    # of the query cost the writer more CPU than the database's index probe.
    quote = connection.ops.quote_name
    table = quote(Signature._meta.db_table)
    email_hash, pk, petition = quote("email_hash"), quote("id"), quote("petition_id")
    with connection.cursor() as cursor:
        for petition_id, hashes in by_petition.items():
            ordered = sorted(hashes)
            # Only the model's own table and column names are formatted in.
            cursor.execute(
                f"SELECT {email_hash}, {pk} FROM {table} "  # noqa: S608
                f"WHERE {petition} = %s AND {email_hash} IN ({', '.join(['%s'] * len(ordered))})",
                [petition_id, *ordered],
            )
            for digest, signature_id in cursor.fetchall():
                owners[(petition_id, digest)] = int(signature_id)
    return owners


def insert_signatures(rows: Sequence[Signature]) -> None:
    """Insert signatures made elsewhere (imports) through the writer's own statement.

    One ``INSERT ... ON CONFLICT DO NOTHING`` for the lot, as ``write_batch``
    does: a row whose person signed in the meantime (a concurrent writer won
    the race past the caller's lookup, or the row repeats an earlier one)
    is left out by the unique constraint and keeps no primary key; every
    other row gets its own.
    """
    names = [f.attname for f in Signature._meta.concrete_fields if not f.primary_key]
    inserted = bulkinsert.insert(
        Signature,
        [{name: getattr(row, name) for name in names} for row in rows],
        on_conflict="ON CONFLICT (petition_id, email_hash) DO NOTHING",
        returning=["id", "petition_id", "email_hash"],
    )
    ids = {(petition_id, digest): pk for pk, petition_id, digest in inserted}
    for row in rows:
        # pop: of two rows for one person, only the first is the inserted one.
        row.pk = ids.pop((row.petition_id, row.email_hash), None)
        row._state.adding = row.pk is None


def build_pending(
    petition: Petition,
    data: dict[str, Any],
    canonical: CanonicalEmail,
    ip: str,
    language: str,
    extra_reason: str = "",
) -> PendingSignature:
    """Turn a valid form into an unsaved signature with its consent record.

    ``extra_reason``, when given, holds the signature for review too.
    """
    digest = ip_hash(ip)
    domain_digest = hash_domain(canonical.domain)
    keys = throttle.limit_keys(petition.pk, digest, ip_hash(throttle.network(ip)), domain_digest)
    in_database = throttle.in_database()
    # Counted by the writer, in the database, or here in the (shared) cache.
    reasons = ["" if in_database else throttle.count_in_cache(keys)]
    if canonical.lookalike:
        reasons.append("look-alike e-mail domain")
    reasons.append(extra_reason)
    contact = data["contact"]
    return PendingSignature(
        fields={
            "petition_id": petition.pk,
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "city": data["city"],
            "region": data["region"],
            "country": data["country"],
            "publish_name": data["publish_name"] == "yes",
            "contact": contact,
            "email_hash": email_hash(canonical, settings.SIGNER_HASH_KEY),
            "email_domain_hash": domain_digest,
            "email_encrypted": (
                crypto.encrypt(data["email"]) if contact != Signature.Contact.COUNT_ONLY else ""
            ),
            "language": language,
            "consent_version": CONSENT_VERSION,
            "consent_hash": consent_hash(),
            "ip_hash": digest,
            "review_reason": "; ".join(r for r in reasons if r)[:100],
        },
        recipient_encrypted=crypto.encrypt(data["email"]),
        limit_keys=keys if in_database else (),
    )


def request_mail(petition: Petition, raw_email: str, language: str) -> None:
    """Mail the signer of this petition with this address again, if there is one.

    Used by "send me the link again". Whether a signature exists decides
    only whether a mail goes out, never what the visitor is shown.
    """
    try:
        digest = hash_email(raw_email)
    except InvalidEmail:
        return
    with transaction.atomic():
        signature_id = (
            Signature.objects.filter(petition=petition, email_hash=digest)
            .values_list("pk", flat=True)
            .first()
        )
        if signature_id is None:
            return
        Message.objects.create(
            kind=Message.Kind.SIGNATURE_REPEAT,
            signature_id=signature_id,
            recipient_encrypted=crypto.encrypt(raw_email.strip()),
            language=language,
        )
        wake_senders()


def confirm(signature: Signature) -> bool:
    """Count the signature from now on; False if it was not pending any more."""
    updated = Signature.objects.filter(pk=signature.pk, status=Signature.Status.PENDING).update(
        status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    if updated:
        counter.forget(signature.petition_id)
        logger.info("signature %s confirmed", signature.pk)
        signature_confirmed.send(
            Signature, petition_id=signature.petition_id, signature_id=signature.pk
        )
    return updated == 1


def release_mail(signature_ids: Sequence[int]) -> int:
    """Send the mail held with these signatures (their review was cleared); how many.

    Inside the caller's transaction; the sending task starts when it commits.
    """
    ids = list(
        Message.objects.filter(
            signature_id__in=signature_ids, status=Message.Status.HELD
        ).values_list("pk", flat=True)
    )
    if ids:
        Message.objects.filter(pk__in=ids, status=Message.Status.HELD).update(
            status=Message.Status.QUEUED, next_attempt_at=timezone.now()
        )
        wake_senders()
    return len(ids)


def withhold_mail(signature_ids: Sequence[int]) -> None:
    """Cancel unsent mail about these signatures (held mail too) and wipe its recipients."""
    Message.objects.filter(
        signature_id__in=signature_ids, status__in=Message.PENDING_STATUSES
    ).update(status=Message.Status.WITHHELD, recipient_encrypted="")


def erase(signature: Signature, reason: str) -> None:
    """Delete the signature and everything personal, leaving a hash-only tombstone."""
    with transaction.atomic():
        # Locked first: a route written for it meanwhile (directory.routing) waits at
        # its commit for the erasure and finds the signature gone, rather than the
        # erasure failing on a route it could not see.
        doomed = Signature.objects.select_for_update().filter(pk=signature.pk)
        list(doomed.values_list("pk"))
        Erasure.objects.create(
            petition_id=signature.petition_id, email_hash=signature.email_hash, reason=reason
        )
        withhold_mail([signature.pk])
        doomed.delete()
        _forget_in_packets(signature)
        counter.recount(signature.petition_id)
    logger.info("signature %s erased (%s)", signature.pk, reason)


def _forget_in_packets(signature: Signature) -> None:
    """Announce an erased, confirmed signature: the packets that print it are discarded."""
    if signature.status == Signature.Status.CONFIRMED:
        signature_erased.send(
            Signature, petition_id=signature.petition_id, signature_id=signature.pk
        )


def expire_unconfirmed(now: datetime | None = None) -> int:
    """Delete signatures never confirmed within SIGNATURE_CONFIRM_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SIGNATURE_CONFIRM_DAYS)
    total = 0
    while True:
        ids = list(
            Signature.objects.filter(
                status=Signature.Status.PENDING, created_at__lt=cutoff
            ).values_list("pk", flat=True)[:1000]
        )
        if not ids:
            break
        with transaction.atomic():
            withhold_mail(ids)
            total += (
                Signature.objects.filter(pk__in=ids, status=Signature.Status.PENDING)
                .delete()[1]
                .get("signatures.Signature", 0)
            )
    # Held mail no one cleared in that time (e.g. "signed again" mail held with
    # a repeat submission, whose own signature was never held) is dropped too.
    Message.objects.filter(status=Message.Status.HELD, next_attempt_at__lt=cutoff).update(
        status=Message.Status.WITHHELD, recipient_encrypted=""
    )
    if total:
        logger.info("expired %d unconfirmed signatures", total)
    return total


def replay_erasures(records: Sequence[tuple[int, str, datetime, str]]) -> int:
    """Apply tombstones (petition id, hash, erased at, reason) again, e.g. after a restore.

    Every signature a tombstone covers (same petition and hash, made before
    the erasure) is deleted again, its unsent mail withheld and its packets
    reset, as ``erase`` does. Tombstones of petitions that no longer exist
    are skipped (their signatures went with them). Returns how many
    signatures were deleted.
    """
    removed = 0
    petitions = set(
        Petition.objects.filter(pk__in={r[0] for r in records}).values_list("pk", flat=True)
    )
    skipped = 0
    for petition_id, digest, erased_at, reason in records:
        if petition_id not in petitions:
            skipped += 1
            continue
        with transaction.atomic():
            if not Erasure.objects.filter(
                petition_id=petition_id, email_hash=digest, erased_at=erased_at
            ).exists():
                Erasure.objects.create(
                    petition_id=petition_id, email_hash=digest, erased_at=erased_at, reason=reason
                )
            doomed = list(
                Signature.objects.select_for_update().filter(
                    petition_id=petition_id, email_hash=digest, created_at__lte=erased_at
                )
            )
            for signature in doomed:
                withhold_mail([signature.pk])
                _forget_in_packets(signature)
                signature.delete()
            if doomed:
                # A tombstone already applied changes nothing: no recount for it.
                counter.recount(petition_id)
            removed += len(doomed)
    if skipped:
        logger.info("skipped %d erasures of petitions that no longer exist", skipped)
    return removed

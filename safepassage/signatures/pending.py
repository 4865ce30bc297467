"""A submission on its way to the database, and why a batch holds some of them for review.

``PendingSignature`` carries plain values from the form (``services.build_pending``)
through the signing writer to ``services.write_batch``, which calls the two holds
below inside its transaction: the signing limits counted in the database, and a
solved proof-of-work challenge used a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from safepassage.lib import bulkinsert
from safepassage.signatures import throttle
from safepassage.signatures.models import UsedChallenge


@dataclass
class PendingSignature:
    """A validated submission, not yet written: the row's values and where to mail.

    Plain values, so that they cross to the signing writer's process cheaply
    and go into the database without a model instance (``lib.bulkinsert``).
    """

    fields: dict[str, Any]
    recipient_encrypted: str
    # The solved proof-of-work challenge (sha256 hex, expiry as Unix time) that vouched
    # for this submission, if any: write_batch records it and holds a reuse for review.
    used_challenge: tuple[str, int] | None = None
    # The signing limits it counts against, when the writer counts them in the
    # database (signatures.throttle); empty when they were counted in the cache.
    limit_keys: throttle.LimitKeys = ()


def hold_over_limits(items: Sequence[PendingSignature]) -> None:
    """Count the batch against the signing limits; hold every submission over one.

    Only where the limits are counted in the database (THROTTLE_STORE):
    with a cache they were counted in the request (``build_pending``).
    """
    if not throttle.in_database():
        return
    reasons = throttle.count_in_database([item.limit_keys for item in items])
    for item, reason in zip(items, reasons, strict=True):
        if reason:
            item.fields["review_reason"] = _with_reason(item.fields["review_reason"], reason)


def _with_reason(reasons: str, reason: str) -> str:
    if reason in reasons:
        return reasons
    return "; ".join(r for r in (reasons, reason) if r)[:100]


REUSED_CHALLENGE = "proof of work reused"


def hold_reused_challenges(items: Sequence[PendingSignature]) -> None:
    """Record the batch's solved challenges; hold for review every submission reusing one.

    A solution vouches for one submission only: without this, one solved
    challenge would let a bot post (and mail) any number of addresses. The
    first submission with a challenge inserts it; a later one, in this batch
    or any earlier one, finds it taken (``UsedChallenge``'s unique
    constraint, in the same transaction as the signatures).
    """
    claims = [item for item in items if item.used_challenge is not None]
    if not claims:
        return
    rows: dict[str, int] = {}
    for item in claims:
        assert item.used_challenge is not None
        rows.setdefault(*item.used_challenge)
    inserted = bulkinsert.insert(
        UsedChallenge,
        [{"challenge": challenge, "expires": expires} for challenge, expires in rows.items()],
        on_conflict="ON CONFLICT (challenge) DO NOTHING",
        returning=["challenge"],
    )
    won = {challenge for (challenge,) in inserted}
    for item in claims:
        assert item.used_challenge is not None
        challenge = item.used_challenge[0]
        if challenge in won:
            won.discard(challenge)  # the first submission with it; any other is a reuse
            continue
        item.fields["review_reason"] = _with_reason(item.fields["review_reason"], REUSED_CHALLENGE)

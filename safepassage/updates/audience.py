"""Who an update goes to: exactly the people who asked for such mail, once each.

- signers who asked for updates: counted signatures of the campaign whose
  contact choice is "updates" or "contact" (contact includes updates);
- signers who let the coalition contact them: "contact" only;
- the RSVP-ers of one event: confirmed, and agreed to be contacted;
- coordinators: active accounts with the coordinator role in the campaign,
  less those who unsubscribed from its updates.

Withdrawn and erased signatures no longer exist, so they are never here;
addresses a provider reported undeliverable (outbox.Undeliverable, by the
same keyed hash) are left out; a person who signed two petitions of the
campaign is counted, and mailed, once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Petition
from safepassage.events.models import RSVP
from safepassage.lib.emails import InvalidEmail, canonicalize, email_hash
from safepassage.outbox.models import Undeliverable
from safepassage.signatures.models import Signature
from safepassage.updates.models import Unsubscribe, Update

CHOICES: dict[str, tuple[str, ...]] = {
    Update.Audience.UPDATES: (Signature.Contact.UPDATES, Signature.Contact.CONTACT),
    Update.Audience.CONTACT: (Signature.Contact.CONTACT,),
}


def _undeliverable() -> QuerySet[Undeliverable]:
    return Undeliverable.objects.all()


def allowed_choices(update: Update) -> tuple[str, ...]:
    return CHOICES.get(update.audience, ())


def signatures(update: Update) -> QuerySet[Signature]:
    """One signature per person (the first) among those who asked for this kind of mail."""
    petitions = list(
        Petition.objects.filter(campaign_id=update.campaign_id).values_list("pk", flat=True)
    )

    def wanted() -> QuerySet[Signature]:
        return (
            Signature.objects.counted()
            .filter(petition_id__in=petitions, contact__in=allowed_choices(update))
            .exclude(email_encrypted="")
            .exclude(email_hash__in=_undeliverable().values("email_hash"))
        )

    if len(petitions) < 2:
        return wanted()  # one signature per person and petition: the unique constraint
    # Signed another petition of the campaign earlier: probes of the (petition, email_hash)
    # unique index, so that the queuing task's batches stay cheap.
    earlier = wanted().filter(email_hash=OuterRef("email_hash"), pk__lt=OuterRef("pk"))
    return wanted().exclude(Exists(earlier))


def rsvps(update: Update) -> QuerySet[RSVP]:
    if update.event_id is None:
        return RSVP.objects.none()
    return (
        RSVP.objects.filter(
            event_id=update.event_id,
            event__campaign_id=update.campaign_id,
            status=RSVP.Status.CONFIRMED,
            contact_ok=True,
        )
        .exclude(email_encrypted="")
        .exclude(email_hash__in=_undeliverable().values("email_hash"))
    )


def _hash(address: str) -> str:
    try:
        return email_hash(canonicalize(address), settings.SIGNER_HASH_KEY)
    except InvalidEmail:
        return ""


def coordinators(update: Update) -> list[Any]:
    users = (
        get_user_model()
        .objects.filter(
            roles__campaign_id=update.campaign_id,
            roles__kind=Role.Kind.COORDINATOR,
            is_active=True,
        )
        .exclude(email="")
        .exclude(
            pk__in=Unsubscribe.objects.filter(
                campaign_id=update.campaign_id, kind=Unsubscribe.Kind.COORDINATOR
            ).values("user_id")
        )
        .distinct()
        .order_by("pk")
    )
    people = [user for user in users if _hash(user.email)]
    bad = set(
        _undeliverable()
        .filter(email_hash__in=[_hash(user.email) for user in people])
        .values_list("email_hash", flat=True)
    )
    return [user for user in people if _hash(user.email) not in bad]


def count(update: Update) -> int:
    """The exact number of people the update would go to now."""
    if update.audience in CHOICES:
        return signatures(update).count()
    if update.audience == Update.Audience.RSVPS:
        return rsvps(update).count() if update.event_id else 0
    return len(coordinators(update))

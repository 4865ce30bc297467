"""Hard bounces of confirmation mail, counted in the campaign's statistics.

The outbox announces an address newly reported undeliverable
(``outbox.signals.mail_undeliverable``, once per address); when the report
names a confirmation mail of a signature that still exists, its campaign's
``CampaignStats.confirm_bounces`` goes up by one. No address is involved.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.dispatch import receiver

from safepassage.outbox.models import Message, Undeliverable
from safepassage.outbox.signals import mail_undeliverable
from safepassage.signatures.models import CampaignStats, Signature


@receiver(mail_undeliverable, dispatch_uid="safepassage.signatures.bounces")
def count_confirm_bounce(sender: Any, message: Message | None, reason: str, **kwargs: Any) -> None:
    if message is None or reason != Undeliverable.Reason.BOUNCED:
        return
    if message.kind != Message.Kind.SIGNATURE_CONFIRM or message.signature_id is None:
        return
    campaign_id = (
        Signature.objects.filter(pk=message.signature_id)
        .values_list("petition__campaign_id", flat=True)
        .first()
    )
    if campaign_id is None:
        return
    CampaignStats.objects.get_or_create(campaign_id=campaign_id)
    CampaignStats.objects.filter(campaign_id=campaign_id).update(
        confirm_bounces=F("confirm_bounces") + 1
    )

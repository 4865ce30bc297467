"""The signer's mails (registered with the outbox): confirm the signature, or signed again.

Rendered when sent, from the signature as it is then: a signature withdrawn
or expired meanwhile gets no confirmation mail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from safepassage.lib import languages
from safepassage.lib.plainname import plain_name
from safepassage.outbox.mail import Rendered, register, render_templates
from safepassage.outbox.models import Message
from safepassage.signatures.tokens import link_token


def _signature_context(message: Message) -> dict[str, Any] | None:
    signature = message.signature
    if signature is None:
        return None
    petition = signature.petition
    text = petition.text(message.language)
    uuid = signature.uuid
    # The links open in the language the person signed in, whatever their browser says.
    in_language = f"?{languages.QUERY_PARAMETER}={message.language}"
    return {
        "signature": signature,
        # The signer's own text reaches the mail only if it is plainly a name (lib.plainname).
        "greeting_name": plain_name(signature.first_name),
        "petition": petition,
        "campaign": petition.campaign.in_language(message.language),
        "title": text.title if text else petition.campaign.in_language(message.language).title,
        "confirm_url": settings.SITE_URL
        + reverse("signatures:confirm", args=[uuid, link_token("confirm", uuid)])
        + in_language,
        "withdraw_url": settings.SITE_URL
        + reverse("signatures:withdraw", args=[uuid, link_token("withdraw", uuid)])
        + in_language,
        "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
    }


@register(Message.Kind.SIGNATURE_CONFIRM)
def render_signature_confirm(message: Message) -> Rendered | None:
    context = _signature_context(message)
    if context is None or context["signature"].status != "pending":
        return None
    return render_templates("signature-confirm", context)


@register(Message.Kind.SIGNATURE_REPEAT)
def render_signature_repeat(message: Message) -> Rendered | None:
    context = _signature_context(message)
    if context is None:
        return None
    return render_templates("signature-repeat", context)

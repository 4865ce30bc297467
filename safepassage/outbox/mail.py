"""What each kind of outbox message says, rendered when it is sent.

One function per kind turns a Message into subject, text and HTML bodies
from three templates (``mail/<kind>/subject.txt``, ``body.txt``,
``body.html``). A function returns None when the message should not be sent
any more (its signature was withdrawn or expired meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from safepassage.lib.plainname import plain_name
from safepassage.outbox.models import Message


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def render_templates(kind: str, context: dict[str, Any]) -> Rendered:
    """Subject, text and HTML from ``mail/<kind>/``; for renderers in other apps too."""
    return _render(kind, context)


def _render(kind: str, context: dict[str, Any]) -> Rendered:
    subject = render_to_string(f"mail/{kind}/subject.txt", context)
    return Rendered(
        subject=" ".join(subject.split()),
        text=render_to_string(f"mail/{kind}/body.txt", context),
        html=render_to_string(f"mail/{kind}/body.html", context),
    )


def _signature_context(message: Message) -> dict[str, Any] | None:
    from safepassage.signatures.tokens import link_token

    signature = message.signature
    if signature is None:
        return None
    petition = signature.petition
    text = petition.text(message.language)
    uuid = signature.uuid
    return {
        "signature": signature,
        # The signer's own text reaches the mail only if it is plainly a name (lib.plainname).
        "greeting_name": plain_name(signature.first_name),
        "petition": petition,
        "campaign": petition.campaign,
        "title": text.title if text else petition.campaign.title,
        "confirm_url": settings.SITE_URL
        + reverse("signatures:confirm", args=[uuid, link_token("confirm", uuid)]),
        "withdraw_url": settings.SITE_URL
        + reverse("signatures:withdraw", args=[uuid, link_token("withdraw", uuid)]),
        "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
    }


def render_signature_confirm(message: Message) -> Rendered | None:
    context = _signature_context(message)
    if context is None or context["signature"].status != "pending":
        return None
    return _render("signature-confirm", context)


def render_signature_repeat(message: Message) -> Rendered | None:
    context = _signature_context(message)
    if context is None:
        return None
    return _render("signature-repeat", context)


Renderer = Callable[[Message], Rendered | None]

RENDERERS: dict[str, Renderer] = {
    Message.Kind.SIGNATURE_CONFIRM: render_signature_confirm,
    Message.Kind.SIGNATURE_REPEAT: render_signature_repeat,
}


def register(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of a kind of message (other apps, from their ready())."""

    def decorator(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return decorator


def render(message: Message) -> Rendered | None:
    with translation.override(message.language):
        return RENDERERS[message.kind](message)

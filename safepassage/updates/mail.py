"""The update mail (registered with the outbox), rendered when it is sent.

Rendered from the recipient's row as it is then: a signer who unsubscribed,
changed their choice or withdrew, an RSVP no longer to be contacted, a
coordinator who unsubscribed gets nothing (the message is withheld). Every
update carries RFC 8058 one-click unsubscribe headers and, for signers and
RSVP-ers, the link to withdraw entirely.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from safepassage.events import services as rsvp_links
from safepassage.events.models import RSVP
from safepassage.lib.markdown import render_markdown
from safepassage.outbox.mail import Rendered, register, render_templates
from safepassage.outbox.models import Message
from safepassage.signatures.tokens import link_token
from safepassage.updates import audience, services
from safepassage.updates.models import Unsubscribe, UpdateRecipient


def _who(message: Message, recipient: UpdateRecipient) -> tuple[str, str, str] | None:
    """(kind, reference, withdraw url) of the unsubscribe link; None: send nothing."""
    update = recipient.update
    if message.signature_id is not None:
        signature = message.signature
        if signature is None or signature.contact not in audience.allowed_choices(update):
            return None
        if not signature.email_encrypted:
            return None
        uuid = signature.uuid
        withdraw = settings.SITE_URL + reverse(
            "signatures:withdraw", args=[uuid, link_token("withdraw", uuid)]
        )
        return Unsubscribe.Kind.SIGNATURE, str(uuid), withdraw
    if message.rsvp_id is not None:
        rsvp = message.rsvp
        if rsvp is None or rsvp.status != RSVP.Status.CONFIRMED or not rsvp.contact_ok:
            return None
        cancel = rsvp_links.absolute(rsvp_links.link("cancel", rsvp))
        return Unsubscribe.Kind.RSVP, str(rsvp.uuid), cancel
    user = recipient.user
    if user is None or not user.is_active:
        return None
    if (
        not recipient.test
        and Unsubscribe.objects.filter(
            campaign_id=update.campaign_id, kind=Unsubscribe.Kind.COORDINATOR, user=user
        ).exists()
    ):
        return None
    ref = services.coordinator_ref(user.pk, update.campaign_id)
    return Unsubscribe.Kind.COORDINATOR, ref, ""


@register(Message.Kind.UPDATE)
def render_update(message: Message) -> Rendered | None:
    recipient = (
        UpdateRecipient.objects.filter(message=message)
        .select_related("update__campaign", "user")
        .first()
    )
    if recipient is None:
        return None
    who = _who(message, recipient)
    text = recipient.update.text(message.language)
    if who is None or text is None:
        return None
    kind, ref, withdraw_url = who
    unsubscribe_url = services.unsubscribe_url(kind, ref)
    context: dict[str, Any] = {
        "campaign": recipient.update.campaign,
        "subject": text.subject,
        "body_text": text.body,
        # Organisers' Markdown, sanitised (lib.markdown): no raw HTML, no scripts.
        "body_html": mark_safe(render_markdown(text.body)),  # noqa: S308
        "unsubscribe_url": unsubscribe_url,
        "withdraw_url": withdraw_url,
        "test": recipient.test,
    }
    rendered = render_templates("update", context)
    return Rendered(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=(
            # RFC 2369 and RFC 8058: one-click unsubscribe by a POST to this https link.
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),
        ),
    )

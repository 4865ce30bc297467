"""What each kind of outbox message says, rendered when it is sent.

One function per kind turns a Message into subject, text and HTML bodies
from three templates (``mail/<kind>/subject.txt``, ``body.txt``,
``body.html``). A function returns None when the message should not be sent
any more (its signature was withdrawn or expired meanwhile). Each app
registers the renderers of its own kinds (``register``), so the outbox knows
no app above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

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
    # Extra headers, e.g. List-Unsubscribe on updates (safepassage.updates).
    headers: tuple[tuple[str, str], ...] = ()


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


Renderer = Callable[[Message], Rendered | None]

# Filled by the apps whose messages these are, from their ready().
RENDERERS: dict[str, Renderer] = {}


def register(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of a kind of message (other apps, from their ready())."""

    def decorator(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return decorator


def render(message: Message) -> Rendered | None:
    with translation.override(message.language):
        return RENDERERS[message.kind](message)

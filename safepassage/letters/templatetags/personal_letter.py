"""The link to a signer's personal letter tool, for pages of the apps below letters.

The signer's confirmation page belongs to the signatures app, which does not
import letters; its template asks for the link here.
"""

from __future__ import annotations

from django import template

from safepassage.letters import personal
from safepassage.signatures.models import Signature

register = template.Library()


@register.simple_tag
def personal_letter_url(signature: Signature) -> str:
    return personal.letter_url(signature)

"""The words a signer agrees to, versioned and hashed into every signature.

When the wording changes, bump CONSENT_VERSION: each signature records the
version and a hash of the exact text shown in the signer's language.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _

CONSENT_VERSION = "2026-11-a"


def privacy_promise() -> list[str]:
    return [
        _(
            "We count each person once. To do that we keep a one-way, keyed fingerprint of "
            "your e-mail address, never the address itself."
        ),
        _(
            "Your e-mail address is used to confirm your signature and is then deleted, unless "
            "you ask us to keep in touch; then it is stored encrypted and used only as you chose."
        ),
        _(
            "Your e-mail address is never handed over with the petition, never published "
            "and never sold."
        ),
        _(
            "If you choose to be counted only, your name, city and region never reach the "
            "embassies or consulates: they see only the number of such signers."
        ),
        _(
            "You can withdraw at any time with the link in the confirmation e-mail; "
            "we then erase your data."
        ),
    ]


def consent_text() -> str:
    from safepassage.signatures.models import Signature

    lines = [*privacy_promise()]
    lines += [str(label) for label in Signature.Contact.labels]
    lines += [str(label) for label in publish_choices().values()]
    return "\n".join(lines)


def publish_choices() -> dict[str, str]:
    return {
        "yes": _("Hand my name, city and region to the embassies and consulates with the petition"),
        "no": _("Only count my signature; do not hand over my name"),
    }


@cache
def _consent_hash(language: str) -> str:
    with translation.override(language):
        return hashlib.sha256(f"{CONSENT_VERSION}\n{consent_text()}".encode()).hexdigest()


def consent_hash() -> str:
    return _consent_hash(translation.get_language() or "en")

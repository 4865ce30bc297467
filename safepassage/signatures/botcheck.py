"""Bot resistance on the signing form: proof of work and a hidden field, no third party.

Both are switched per petition (``Petition.bot_challenge``): off, always on,
or automatic — on while the petition receives more than
BOT_CHALLENGE_SURGE_PER_MINUTE valid submissions a minute.

When on, a submission is held for an organiser's review (and its mail waits
for the review) if it carries no valid, unexpired, unused proof of work —
a browser without JavaScript, or a bot — or if the hidden field that people
never see has a value. It is never refused, and its answer is the same as
any other's: a bot learns nothing from the response, and a person without
JavaScript still signs.

The proof of work follows ALTCHA's open protocol (``safepassage.lib.pow``);
static/js/sign.js solves it in the browser with Web Crypto. Nothing is loaded
from or sent to anyone else, and nothing identifies the visitor: a challenge
is random, and the only thing kept is a used challenge (``UsedChallenge``)
until it expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict

from safepassage.campaigns.models import Petition
from safepassage.lib import pow
from safepassage.signatures.models import UsedChallenge
from safepassage.signatures.throttle import count_in_window

# The form's hidden field that the script fills with the solution.
SOLUTION_FIELD = "altcha"
# The hidden field people never see: a name that invites a bot to fill it.
HONEYPOT_FIELD = "website"

NO_PROOF_OF_WORK = "no proof of work"
HONEYPOT_FILLED = "hidden field filled"

SURGE_WINDOW_SECONDS = 60
# Once over the rate, a petition stays "in a surge" this long, so the count's
# new window (which starts from zero every minute) does not switch it off.
SURGE_HOLD_SECONDS = 120

_key = lru_cache(maxsize=4)(pow.derive_key)


def challenge_key() -> bytes:
    return _key(settings.SECRET_KEY)


def new_challenge() -> dict[str, object]:
    return pow.create_challenge(
        challenge_key(), settings.BOT_CHALLENGE_MAX_NUMBER, settings.BOT_CHALLENGE_SECONDS
    )


def offered(petition: Petition) -> bool:
    """Whether the signing page hands out challenges (always, unless switched off)."""
    return petition.bot_challenge != Petition.BotChallenge.OFF


def _surge_key(petition_id: int) -> str:
    return f"botcheck:surge:{petition_id}"


def in_surge(petition_id: int) -> bool:
    """Count one valid submission; whether the petition is signed faster than the threshold."""
    count = count_in_window(f"sign-rate:{petition_id}", SURGE_WINDOW_SECONDS)
    if count > settings.BOT_CHALLENGE_SURGE_PER_MINUTE:
        if count == settings.BOT_CHALLENGE_SURGE_PER_MINUTE + 1:
            cache.set(_surge_key(petition_id), True, SURGE_HOLD_SECONDS)
        return True
    return bool(cache.get(_surge_key(petition_id)))


def required(petition: Petition) -> bool:
    """Whether this submission needs proof of work (counts it towards the surge rate)."""
    if petition.bot_challenge == Petition.BotChallenge.ALWAYS:
        return True
    if petition.bot_challenge == Petition.BotChallenge.AUTOMATIC:
        return in_surge(petition.pk)
    return False


@dataclass(frozen=True)
class Verdict:
    """Why the submission must be reviewed ("" if not), and the challenge it used up."""

    reason: str = ""
    used_challenge: tuple[str, int] | None = None


def assess(petition: Petition, data: QueryDict) -> Verdict:
    """Check a valid submission's hidden field and proof of work, where the petition asks."""
    if not required(petition):
        return Verdict()
    reasons = []
    if data.get(HONEYPOT_FIELD, ""):
        reasons.append(HONEYPOT_FILLED)
    solved = pow.verify(str(data.get(SOLUTION_FIELD, "")), challenge_key())
    if solved is None:
        reasons.append(NO_PROOF_OF_WORK)
    return Verdict(
        reason="; ".join(reasons),
        used_challenge=(solved.challenge, solved.expires) if solved else None,
    )


def forget_expired_challenges(now: float | None = None) -> int:
    """Delete used challenges that have expired: they would be refused anyway."""
    cutoff = int(now if now is not None else time.time())
    deleted, _ = UsedChallenge.objects.filter(expires__lt=cutoff).delete()
    return deleted

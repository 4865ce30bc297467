"""Canonical e-mail addresses and their keyed hashes, for one signature per person.

Only ``email_hash(canonicalize(raw), key)`` is stored, under a unique
constraint, so every spelling that reaches the same mailbox must fold to the
same canonical address: case, compatibility forms (full-width letters),
plus-tags, Gmail's ignored dots and its googlemail.com alias. Anything a
person cannot see (zero-width, bidi and other format characters) is
rejected rather than silently dropped, so it cannot be used to mint
"different" addresses that look identical.

Domains go through IDNA 2008 with the UTS #46 mapping (non-transitional)
rather than ``str.casefold``: casefold turns ``straße.de`` into
``strasse.de``, which is a different, separately registered domain.
Homograph domains are never folded onto the domain they imitate (that would
let an impostor block a real signer); they are only flagged for review.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import idna

__all__ = ["CanonicalEmail", "InvalidEmail", "canonicalize", "email_hash"]

MAX_LOCAL_LENGTH = 64
MAX_ADDRESS_LENGTH = 254
MIN_KEY_LENGTH = 16

# NFKC shrinks text by at most a small factor (Hangul jamo compose three into
# one), so nothing longer than this can end up within MAX_ADDRESS_LENGTH. The
# early cut keeps pathological input from being normalised at all.
_MAX_RAW_LENGTH = 1024

_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"

# RFC 5322 specials: with them excluded the local part is a dot-atom, which
# makes the dot rules meaningful and the split at the last "@" unambiguous.
_LOCAL_SPECIALS = frozenset('()<>[]:;@\\,"')

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Scripts that a single legitimate name routinely mixes (Japanese, Korean and
# Chinese writing), treated as one script.
_EAST_ASIAN = "EAST-ASIAN"
_EAST_ASIAN_NAMES = frozenset(
    {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "IDEOGRAPHIC", "BOPOMOFO"}
)
# First words of character names that say nothing about the script.
_SCRIPTLESS_NAMES = frozenset({"", "COMBINING", "MODIFIER"})

# Letters that, in the lower case IDNA produces, pass for Latin letters.
_CYRILLIC_LOOKALIKES = frozenset("авекмнорстухіјѕԁӏԛԝһү")
_GREEK_LOOKALIKES = frozenset("αορτυνικϲϳ")


class InvalidEmail(ValueError):
    """Raised with a plain-English message that the caller can translate and show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CanonicalEmail:
    address: str
    domain: str
    lookalike: bool


def canonicalize(raw: str) -> CanonicalEmail:
    """Fold every spelling of one mailbox to one string, or raise InvalidEmail."""
    text = raw.strip(_ASCII_WHITESPACE)
    if not text:
        raise InvalidEmail("Enter an e-mail address.")
    if len(text) > _MAX_RAW_LENGTH:
        raise InvalidEmail("The e-mail address is too long.")
    _reject_invisible(text)
    text = unicodedata.normalize("NFKC", text)
    # Compatibility forms can decompose into a space (U+00A8 becomes " \u0308").
    _reject_invisible(text)

    local, at, domain = text.rpartition("@")
    if not at:
        raise InvalidEmail("The e-mail address must contain an @ sign.")
    if not local:
        raise InvalidEmail("The part before the @ is missing.")
    if not domain:
        raise InvalidEmail("The part after the @ is missing.")

    local = _fold_case(local)
    if len(local) > MAX_LOCAL_LENGTH:
        raise InvalidEmail("The part before the @ is too long.")
    if any(char in _LOCAL_SPECIALS for char in local):
        raise InvalidEmail("The part before the @ contains characters that are not allowed.")
    _check_dots(local)

    ascii_domain, lookalike = _domain(domain)
    if len(local) + 1 + len(ascii_domain) > MAX_ADDRESS_LENGTH:
        raise InvalidEmail("The e-mail address is too long.")

    local = local.partition("+")[0]
    if not local:
        raise InvalidEmail("The part before the @ must not start with a +.")
    # "a.+tag" is a valid dot-atom, but "a." is not, and the canonical form must be.
    _check_dots(local)

    if ascii_domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        ascii_domain = "gmail.com"

    return CanonicalEmail(
        address=f"{local}@{ascii_domain}",
        domain=ascii_domain,
        lookalike=lookalike,
    )


def email_hash(canonical: CanonicalEmail | str, key: bytes) -> str:
    """Keyed, so a leaked table cannot be checked against a list of known addresses."""
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"The e-mail hash key must be at least {MIN_KEY_LENGTH} bytes long.")
    if isinstance(canonical, CanonicalEmail):
        address = canonical.address
    else:
        address = canonical
        # Hashing a raw spelling would silently defeat the unique constraint.
        if canonicalize(address).address != address:
            raise ValueError("The address is not in canonical form; call canonicalize() first.")
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


def _reject_invisible(text: str) -> None:
    # Category C covers control (Cc), format (Cf), surrogate (Cs, which cannot
    # be encoded), private-use (Co) and unassigned (Cn, whose normalisation is
    # not yet fixed) code points.
    for char in text:
        if unicodedata.category(char)[0] == "C":
            raise InvalidEmail("The e-mail address contains an invisible or control character.")
        if char.isspace() or unicodedata.category(char)[0] == "Z":
            raise InvalidEmail("The e-mail address must not contain spaces.")


def _fold_case(text: str) -> str:
    # casefold() can leave text un-normalised (it decomposes U+01F0), so
    # normalise again to keep the result a fixed point.
    return unicodedata.normalize("NFKC", text.casefold())


def _check_dots(local: str) -> None:
    if "" in local.split("."):
        raise InvalidEmail(
            "The part before the @ must not start or end with a dot or contain two dots in a row."
        )


@lru_cache(maxsize=4096)
def _domain(domain: str) -> tuple[str, bool]:
    """The domain in ASCII and whether it imitates another; most signers share a few domains."""
    ascii_domain = _ascii_domain(domain)
    return ascii_domain, _is_lookalike(idna.decode(ascii_domain))


def _ascii_domain(domain: str) -> str:
    try:
        encoded = idna.encode(domain, uts46=True, std3_rules=True, transitional=False)
    except UnicodeError as error:  # idna.IDNAError and its subclasses
        raise InvalidEmail("The domain after the @ is not valid.") from error
    # idna keeps one trailing dot, including one it mapped from another full
    # stop (U+3002), and refuses a second as an empty label.
    ascii_domain = encoded.decode("ascii").lower().removesuffix(".")
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise InvalidEmail("The domain after the @ must contain a dot.")
    if any(not 1 <= len(label) <= 63 for label in labels) or len(ascii_domain) > 253:
        raise InvalidEmail("The domain after the @ is not valid.")
    if labels[-1].isdigit():
        # No top-level domain is numeric; this is an IP address.
        raise InvalidEmail("The domain after the @ is not valid.")
    return ascii_domain


def _script(char: str) -> str | None:
    if unicodedata.category(char)[0] not in "LM":
        return None
    first_word = unicodedata.name(char, "").split(" ")[0]
    if first_word in _SCRIPTLESS_NAMES:
        return None
    if first_word in _EAST_ASIAN_NAMES:
        return _EAST_ASIAN
    return first_word


def _is_lookalike(unicode_domain: str) -> bool:
    labels = unicode_domain.split(".")
    # A name written wholly in Cyrillic or Greek is normal under a TLD in that
    # script (сок.рф); under a Latin TLD it is there to imitate a Latin name.
    latin_tld = labels[-1].isascii()
    for label in labels:
        scripts = {script for script in map(_script, label) if script is not None}
        if len(scripts) > 1:
            return True
        letters = {char for char in label if unicodedata.category(char)[0] == "L"}
        if (
            latin_tld
            and letters
            and (letters <= _CYRILLIC_LOOKALIKES or letters <= _GREEK_LOOKALIKES)
        ):
            return True
    return False

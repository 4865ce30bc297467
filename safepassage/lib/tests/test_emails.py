"""Behaviour of e-mail canonicalisation: one mailbox, one hash; anything else, a refusal."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safepassage.lib.emails import CanonicalEmail, InvalidEmail, canonicalize, email_hash

KEY = b"k" * 32
OTHER_KEY = b"o" * 32

properties = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


def hash_of(raw: str, key: bytes = KEY) -> str:
    return email_hash(canonicalize(raw), key)


def full_width(text: str) -> str:
    """Spell printable ASCII with its full-width compatibility forms (U+FF01-U+FF5E)."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


# --- Strategies -------------------------------------------------------------

ALNUM = string.ascii_lowercase + string.digits

atoms = st.text(alphabet=ALNUM, min_size=1, max_size=8)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join)
tag_atoms = st.text(alphabet=ALNUM + "-_+", min_size=1, max_size=6)
plus_tags = st.lists(tag_atoms, max_size=3).map(lambda atoms: "+" + ".".join(atoms))
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True).filter(
    # IDNA 2008 reserves "--" in the third and fourth places for "xn--".
    lambda label: label[2:4] != "--"
)
tlds = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=6)
domains = st.builds(
    lambda names, tld: ".".join([*names, tld]), st.lists(labels, min_size=1, max_size=3), tlds
)


@st.composite
def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips, strict=True))


@st.composite
def addresses(draw: st.DrawFn) -> str:
    local = draw(local_parts)
    tag = draw(st.one_of(st.just(""), plus_tags))
    return draw(random_case(f"{local}{tag}@{draw(domains)}"))


@st.composite
def gmail_spellings(draw: st.DrawFn, local: str) -> str:
    """Spell one Gmail mailbox another way: dots, case, tag and alias."""
    dotted = (
        "".join(char + ("." if draw(st.booleans()) else "") for char in local[:-1]) + local[-1:]
    )
    tag = draw(st.one_of(st.just(""), plus_tags))
    domain = draw(st.sampled_from(["gmail.com", "googlemail.com", "gmail.com."]))
    return draw(random_case(f"{dotted}{tag}@{domain}"))


# --- Folding ----------------------------------------------------------------


def test_case_is_folded() -> None:
    assert canonicalize("John.Smith@Example.ORG").address == "john.smith@example.org"


def test_plus_tags_are_removed() -> None:
    assert canonicalize("john+petition@example.org").address == "john@example.org"
    assert canonicalize("john+a+b@example.org").address == "john@example.org"


def test_gmail_dots_are_removed() -> None:
    assert canonicalize("j.o.h.n.smith@gmail.com").address == "johnsmith@gmail.com"


def test_dots_are_kept_outside_gmail() -> None:
    assert canonicalize("john.smith@example.org").address == "john.smith@example.org"
    assert hash_of("john.smith@example.org") != hash_of("johnsmith@example.org")


def test_googlemail_is_an_alias_of_gmail() -> None:
    result = canonicalize("john.smith@googlemail.com")
    assert result.address == "johnsmith@gmail.com"
    assert result.domain == "gmail.com"


def test_gmail_subdomains_are_not_aliased() -> None:
    assert canonicalize("john.smith@mail.gmail.com").address == "john.smith@mail.gmail.com"


def test_full_width_letters_are_folded() -> None:
    assert canonicalize(full_width("john@example.com")).address == "john@example.com"


def test_full_width_plus_starts_a_tag() -> None:
    assert canonicalize("john" + full_width("+") + "tag@example.com").address == "john@example.com"


def test_surrounding_ascii_whitespace_is_ignored() -> None:
    assert canonicalize(" \t john@example.com \r\n").address == "john@example.com"


def test_one_trailing_dot_on_the_domain_is_ignored() -> None:
    assert canonicalize("john@example.com.").address == "john@example.com"
    assert canonicalize("john@example.com。").address == "john@example.com"


def test_non_ascii_local_parts_are_case_folded() -> None:
    assert canonicalize("STRASSE@example.de").address == canonicalize("straße@example.de").address
    assert canonicalize("ÉLODIE@example.fr").address == "élodie@example.fr"


def test_variants_of_one_gmail_address_give_one_hash() -> None:
    variants = [
        "johnsmith@gmail.com",
        "John.Smith@gmail.com",
        "JOHNSMITH@GMAIL.COM",
        "j.o.h.n.s.m.i.t.h@gmail.com",
        "john.smith+petition@gmail.com",
        "johnsmith+a+b@gmail.com",
        "johnsmith@googlemail.com",
        "John.Smith+x@GoogleMail.com",
        full_width("john.smith@gmail.com"),
        "john.smith" + full_width("+") + "tag@" + full_width("GMAIL") + ".com",
        "  johnsmith@gmail.com\n",
        "johnsmith@gmail.com.",
    ]
    assert {canonicalize(variant).address for variant in variants} == {"johnsmith@gmail.com"}
    assert len({hash_of(variant) for variant in variants}) == 1


# --- Internationalised domains -------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["user@bücher.example", "user@BÜCHER.example", "user@xn--bcher-kva.example"]
)
def test_idn_domains_are_stored_as_punycode(raw: str) -> None:
    result = canonicalize(raw)
    assert result.domain == "xn--bcher-kva.example"
    assert result.address == "user@xn--bcher-kva.example"
    assert not result.lookalike


def test_sharp_s_domain_is_not_folded_onto_its_ss_spelling() -> None:
    # Both are registrable and may belong to different people.
    assert canonicalize("user@straße.de").domain == "xn--strae-oqa.de"
    assert canonicalize("user@strasse.de").domain == "strasse.de"


# --- Look-alike domains -------------------------------------------------------


def test_mixed_script_domain_is_flagged_and_kept_distinct() -> None:
    impostor = canonicalize("user@p\N{CYRILLIC SMALL LETTER A}ypal.com")
    genuine = canonicalize("user@paypal.com")
    assert impostor.lookalike
    assert not genuine.lookalike
    assert impostor.domain == "xn--pypal-4ve.com"
    assert email_hash(impostor, KEY) != email_hash(genuine, KEY)


def test_punycode_spelling_of_a_mixed_script_domain_is_flagged() -> None:
    assert canonicalize("user@xn--pypal-4ve.com").lookalike


@pytest.mark.parametrize(
    "raw",
    [
        "user@g\N{GREEK SMALL LETTER OMICRON}\N{GREEK SMALL LETTER OMICRON}gle.com",
        # Wholly Cyrillic, imitating "apple".
        "user@\N{CYRILLIC SMALL LETTER A}\N{CYRILLIC SMALL LETTER ER}"
        "\N{CYRILLIC SMALL LETTER ER}\N{CYRILLIC SMALL LETTER PALOCHKA}"
        "\N{CYRILLIC SMALL LETTER IE}.com",
        "user@сок.com",  # wholly Cyrillic, imitating "cok"
        # Wholly Greek, imitating "pay".
        "user@\N{GREEK SMALL LETTER RHO}\N{GREEK SMALL LETTER ALPHA}"
        "\N{GREEK SMALL LETTER UPSILON}.net",
    ],
)
def test_homograph_domains_are_flagged(raw: str) -> None:
    assert canonicalize(raw).lookalike


@pytest.mark.parametrize(
    "raw",
    [
        "user@例え.jp",
        "user@東京ことば.jp",
        "user@カタカナー漢字.jp",
        "user@한국어.kr",
        "user@bücher.example",
        "user@пример.com",  # Cyrillic, but not all letters imitate Latin
        "user@сок.рф",  # wholly Cyrillic under a Cyrillic TLD
        "user@ελληνικά.gr",
        "user@123abc.example",
    ],
)
def test_ordinary_domains_are_not_flagged(raw: str) -> None:
    assert not canonicalize(raw).lookalike


# --- Rejections -----------------------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen (IDNA would silently drop it)
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\x00",
    "\x07",
    "\x7f",
    "\x85",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda char: f"U+{ord(char):04X}")
@pytest.mark.parametrize(
    "template",
    ["jo{}hn@example.com", "john@exa{}mple.com", "{}john@example.com", "john@example.com{}"],
)
def test_invisible_and_control_characters_are_rejected(template: str, char: str) -> None:
    with pytest.raises(InvalidEmail):
        canonicalize(template.format(char))


@pytest.mark.parametrize(
    "raw",
    [
        "john smith@example.com",
        "john@exam ple.com",
        "john\u00a0smith@example.com",
        "john\u3000smith@example.com",
        "john\u2028smith@example.com",
        "jo\u00a8hn@example.com",  # NFKC turns the diaeresis into a space and a mark
    ],
)
def test_inner_whitespace_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        canonicalize(raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("john.example.com", id="no-at"),
        pytest.param("@example.com", id="empty-local"),
        pytest.param("john@", id="empty-domain"),
        pytest.param("john@localhost", id="domain-without-dot"),
        pytest.param("a..b@x.org", id="double-dot"),
        pytest.param(".a@x.org", id="leading-dot"),
        pytest.param("a.@x.org", id="trailing-dot"),
        pytest.param("a.+tag@x.org", id="trailing-dot-before-tag"),
        pytest.param("john..smith@gmail.com", id="double-dot-at-gmail"),
        pytest.param("+tag@x.org", id="only-a-tag"),
        pytest.param('"john"@x.org', id="quoted-local"),
        pytest.param("john<x>@x.org", id="specials-in-local"),
        pytest.param("john@x..org", id="empty-label"),
        pytest.param("john@x.org..", id="two-trailing-dots"),
        pytest.param("john@.", id="domain-only-dot"),
        pytest.param("john@-x.org", id="leading-hyphen"),
        pytest.param("john@x_y.org", id="underscore-in-domain"),
        pytest.param("john@[192.0.2.1]", id="address-literal"),
        pytest.param("john@192.0.2.1", id="bare-ip"),
        pytest.param("john@😀.com", id="emoji-domain"),
        pytest.param("john@xn--abc.com", id="bad-punycode"),
        pytest.param("a" * 65 + "@x.org", id="local-too-long"),
        pytest.param("a" * 64 + "@" + "b" * 64 + ".org", id="label-too-long"),
        pytest.param("a@" + ".".join(["b" * 63] * 4) + ".org", id="domain-too-long"),
        pytest.param("a" * 2000 + "@x.org", id="huge"),
    ],
)
def test_invalid_addresses_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        canonicalize(raw)
    assert caught.value.message
    assert str(caught.value) == caught.value.message


def test_invalid_email_is_a_value_error() -> None:
    assert issubclass(InvalidEmail, ValueError)


def _domain_of_length(length: int) -> str:
    tld = ".org"
    body = length - len(tld)
    chunks = [("b" * 63) for _ in range(body // 64)]
    rest = body - 64 * len(chunks)
    return ".".join([*chunks, "c" * rest]) + tld


def test_longest_allowed_address_is_accepted() -> None:
    raw = "a" * 64 + "@" + _domain_of_length(189)
    assert len(raw) == 254
    assert canonicalize(raw).address == raw


def test_address_one_character_too_long_is_rejected() -> None:
    raw = "a" * 64 + "@" + _domain_of_length(190)
    assert len(raw) == 255
    with pytest.raises(InvalidEmail):
        canonicalize(raw)


def test_plus_tag_counts_towards_the_length_limits() -> None:
    with pytest.raises(InvalidEmail):
        canonicalize("john+" + "t" * 60 + "@example.com")


# --- Hashing --------------------------------------------------------------------


def test_hash_format_is_stable() -> None:
    # Stored hashes depend on this exact construction; changing it orphans them.
    assert email_hash("johnsmith@gmail.com", b"0123456789abcdef") == (
        "e20ca77e7b17dfde8727e46eba854984d501dbf3c7525939fe87b2f7dad6db83"
    )


def test_hash_accepts_a_canonical_string_or_object() -> None:
    canonical = canonicalize("John.Smith@gmail.com")
    assert email_hash(canonical, KEY) == email_hash(canonical.address, KEY)


def test_hash_refuses_a_non_canonical_string() -> None:
    with pytest.raises(ValueError, match="canonical"):
        email_hash("John.Smith@gmail.com", KEY)


def test_hash_refuses_an_invalid_string() -> None:
    with pytest.raises(InvalidEmail):
        email_hash("not an address", KEY)


def test_hash_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        email_hash(canonicalize("john@example.com"), b"x" * 15)
    assert len(email_hash(canonicalize("john@example.com"), b"x" * 16)) == 64


# --- Properties -----------------------------------------------------------------


@properties
@given(addresses())
def test_canonicalize_is_idempotent(raw: str) -> None:
    once = canonicalize(raw)
    assert canonicalize(once.address) == once


@properties
@given(
    local=st.text(max_size=20),
    labels=st.lists(
        st.text(
            alphabet=st.characters(categories=("Ll", "Lu", "Lo", "Lm", "Mn", "Nd")),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=3,
    ),
    tld=st.sampled_from(["com", "jp", "рф", "ελ"]),
)
@example(local="ǰ̣", labels=["ǰ"], tld="com")
@example(local="ﬁ", labels=["ﬁ"], tld="com")
def test_canonicalize_is_idempotent_for_arbitrary_unicode(
    local: str, labels: list[str], tld: str
) -> None:
    try:
        once = canonicalize(f"{local}@{'.'.join([*labels, tld])}")
    except InvalidEmail:
        return
    assert canonicalize(once.address) == once
    assert once.domain.isascii()
    assert len(email_hash(once, KEY)) == 64


@properties
@given(addresses())
def test_hash_is_deterministic_lowercase_hex(raw: str) -> None:
    digest = hash_of(raw)
    assert digest == hash_of(raw)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


@properties
@given(addresses())
def test_hash_depends_on_the_key(raw: str) -> None:
    assert hash_of(raw, KEY) != hash_of(raw, OTHER_KEY)


@properties
@given(st.data(), st.text(alphabet=ALNUM, min_size=1, max_size=20))
def test_spellings_of_one_gmail_mailbox_share_a_hash(data: st.DataObject, local: str) -> None:
    spelling = data.draw(gmail_spellings(local))
    assert canonicalize(spelling).address == f"{local}@gmail.com"
    assert hash_of(spelling) == hash_of(f"{local}@gmail.com")


@properties
@given(addresses(), addresses())
def test_distinct_canonical_forms_give_distinct_hashes(first: str, second: str) -> None:
    a, b = canonicalize(first), canonicalize(second)
    assert (a.address == b.address) == (email_hash(a, KEY) == email_hash(b, KEY))


@properties
@given(addresses())
def test_result_is_a_canonical_email(raw: str) -> None:
    result = canonicalize(raw)
    assert isinstance(result, CanonicalEmail)
    assert result.address.endswith("@" + result.domain)
    assert result.address == result.address.lower()
    assert "+" not in result.address
    assert not result.lookalike

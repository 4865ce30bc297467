"""The signer's addresses are printed on QR codes and sent in mails: they never change."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

SIGNATURE = "0b6e3f4a-2c1d-4e5f-8a9b-0c1d2e3f4a5b"

PUBLIC_PATHS = [
    ("/p/free-them/", "signatures:sign", {"slug": "free-them"}),
    ("/p/free-them/thanks/", "signatures:thanks", {"slug": "free-them"}),
    ("/p/free-them/resend/", "signatures:resend", {"slug": "free-them"}),
    ("/p/free-them/count.json", "signatures:count", {"slug": "free-them"}),
    ("/p/free-them/challenge.json", "signatures:challenge", {"slug": "free-them"}),
    (
        f"/s/{SIGNATURE}/confirm/abc123/",
        "signatures:confirm",
        {"signature_uuid": SIGNATURE, "token": "abc123"},
    ),
    (
        f"/s/{SIGNATURE}/withdraw/abc123/",
        "signatures:withdraw",
        {"signature_uuid": SIGNATURE, "token": "abc123"},
    ),
]


@pytest.mark.parametrize(("path", "name", "kwargs"), PUBLIC_PATHS)
def test_a_public_path_is_kept(path: str, name: str, kwargs: dict[str, str]) -> None:
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name


def test_the_signing_form_is_the_first_pattern_tried() -> None:
    first = get_resolver().url_patterns[0]
    assert isinstance(first, URLResolver) and first.namespace == "signatures"
    sign = first.url_patterns[0]
    assert isinstance(sign, URLPattern) and sign.name == "sign"

"""The public addresses of the letters app never change.

The confirmation page, the campaign page and partner websites link to them.
"""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

SIGNATURE = "0b6e3f4a-2c1d-4e5f-8a9b-0c1d2e3f4a5b"

PUBLIC_PATHS = [
    (
        f"/s/{SIGNATURE}/letter/abc123/",
        "letters:personal",
        {"signature_uuid": SIGNATURE, "token": "abc123"},
    ),
    (
        "/c/day-of-action/documents/7/",
        "letters:public-document",
        {"campaign": "day-of-action", "pk": 7},
    ),
]


@pytest.mark.parametrize(("path", "name", "kwargs"), PUBLIC_PATHS)
def test_a_public_path_is_kept(path: str, name: str, kwargs: dict[str, object]) -> None:
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name

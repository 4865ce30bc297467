"""The addresses of the directory of missions never change.

The campaign page and partner websites link to them.
"""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

PUBLIC_PATHS = [
    ("/missions/", "directory:index", {}),
    ("/missions/CN/", "directory:missions", {"sending_state": "CN"}),
    ("/missions/CN/find/", "directory:find", {"sending_state": "CN"}),
    ("/missions/CN/map.svg", "directory:map", {"sending_state": "CN"}),
]


@pytest.mark.parametrize(("path", "name", "kwargs"), PUBLIC_PATHS)
def test_a_public_path_is_kept(path: str, name: str, kwargs: dict[str, str]) -> None:
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name

"""Parts of public pages rendered once per process: the same for every visitor.

The signing page's form, petition heading and text look the same to every
visitor of a petition in one language; rendering them took most of the
page's CPU. ``{% fragment %}`` (templatetags/fragments.py) keeps each such
part here, keyed by what it shows: the fragment's name, the values the
template names (the petition, the text's own words, whether a challenge is
offered...), and always the active language and script prefix.

Keys hold the content itself (a text's title and body, not a version number
kept elsewhere), so an edited petition gets a new key on every host at once
and nothing has to be dropped. Nothing about a visitor may be part of a
fragment: the template tag renders afresh, and stores nothing, whenever one
of its ``unless`` values is true (a form that was submitted, with the
visitor's values and errors). Tokens, counts and anything else that changes
per request stay outside the fragments.

In-process rather than in the shared cache: a fragment is a few kilobytes
that every GET needs, and a dictionary lookup costs nothing next to a
round-trip to Redis. Django's own ``{% cache %}`` tag was the first candidate;
it stores through a cache backend (a pickled copy per read even in local
memory), needs an expiry where these keys never go stale, and cannot leave a
submitted form, with a visitor's values, out of the store, which is what
``unless`` is for.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from django.core.signals import setting_changed

# Fragments per process; beyond it the oldest half is dropped. A petition in ten
# languages needs about thirty.
MAX_FRAGMENTS = 1024

_fragments: dict[tuple[Hashable, ...], str] = {}
_lock = threading.Lock()


def get(key: tuple[Hashable, ...]) -> str | None:
    return _fragments.get(key)


def put(key: tuple[Hashable, ...], html: str) -> None:
    with _lock:
        if len(_fragments) >= MAX_FRAGMENTS:
            for old in list(_fragments)[: MAX_FRAGMENTS // 2]:
                _fragments.pop(old, None)
        _fragments[key] = html


def stored() -> dict[tuple[Hashable, ...], str]:
    """A copy of the fragments kept (for tests and diagnostics)."""
    return dict(_fragments)


def forget() -> None:
    with _lock:
        _fragments.clear()


def _forget_on_setting_change(**kwargs: Any) -> None:
    # A fragment may hold a setting's value (SITE_URL, static files' addresses): tests that
    # change settings must not see fragments rendered before.
    forget()


setting_changed.connect(_forget_on_setting_change, dispatch_uid="signatures.fragments")

"""Read-only copies of a model instance as a reader of another language sees it.

A campaign or an event keeps its own title in its own language; rows of a
``…Text`` model hold the same fields written for other languages. A page in
one of those languages shows a copy of the instance with those fields swapped
in, so templates and code that read ``campaign.title`` need no change; the copy
refuses to be saved, so a translation can never overwrite the original.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

M = TypeVar("M", bound=models.Model)


class ShownInLanguages(models.Model):
    """A model whose instances can be shown in another language (see localised_copy)."""

    # The language of a read-only copy; empty on the stored instance itself.
    localised_for = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.localised_for:
            raise TypeError(f"{self!r} is a copy shown in {self.localised_for}: read only")
        super().save(*args, **kwargs)


def written_for(texts: Iterable[Any], language: str | None) -> Any | None:
    """The text row written for ``language`` among ``texts`` (prefetched), if any."""
    return next((text for text in texts if text.language == language), None)


def localised_copy(
    instance: M, text: Any | None, fields: Iterable[str], *, related: dict[str, Any] | None = None
) -> M:
    """``instance`` with ``fields`` taken from ``text`` (and related objects swapped), read only.

    Without a text and related objects to swap, the instance itself.
    """
    if text is None and not related:
        return instance
    shown = copy.copy(instance)
    shown._state = copy.copy(instance._state)
    shown._state.fields_cache = {**instance._state.fields_cache, **(related or {})}
    if text is not None:
        for name in fields:
            setattr(shown, name, getattr(text, name))
        shown.localised_for = text.language  # type: ignore[attr-defined]
    return shown


def missing_languages_note(codes: list[str]) -> SafeString:
    """For the admin: the names of the languages still to write, or that none is missing."""
    if not codes:
        return format_html("{}", gettext("None: written in every language of the site."))
    names = dict(settings.LANGUAGES)
    return format_html(
        '<span class="missing-languages">{}</span>',
        ", ".join(str(names[code]) for code in codes),
    )

"""Markdown written by organisers, rendered to HTML that is safe to show."""

from __future__ import annotations

from functools import lru_cache

import markdown as markdown_lib
import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


@lru_cache(maxsize=256)
def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML: raw HTML, scripts and unsafe links are removed.

    Memoised on the text: petition pages render the same few texts on every
    request, and the Markdown parser is the slowest part of such a page.
    """
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )

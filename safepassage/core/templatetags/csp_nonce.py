"""``{{ markup|nonce_styles:request.csp_nonce }}``: let trusted inline SVG keep its <style>.

The maps and charts (lib/geo/svgmap.py, reports/charts.py) carry their colours in a <style>
element, so the same markup renders in a browser and in a PDF. Embedded in a page, that
element is an inline style, which the Content-Security-Policy runs only with the request's
nonce. Only markup already marked safe (drawn by our own code, every text in it escaped) is
given the nonce; anything else is escaped as usual. User text never holds a bare ``<style>``:
it is escaped, and sanitised Markdown drops the element.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()


@register.filter
def nonce_styles(markup: object, nonce: object) -> SafeString:
    if not isinstance(markup, SafeData):
        return conditional_escape(str(markup))
    text = str(markup)
    # request.csp_nonce is lazy (and falsy until first read): str() makes it.
    value = "" if nonce is None else str(nonce)
    if not value:
        return mark_safe(text)  # noqa: S308 (already safe; nothing added)
    return mark_safe(text.replace("<style>", f'<style nonce="{value}">'))  # noqa: S308


# A style="..." attribute in markup our templates produced: an escaped value cannot hold
# one, because escaping turns its quotes into &quot;.
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')


@register.filter
def without_style_attributes(markup: object) -> SafeString:
    """Rendered third-party markup minus its style attributes (which the policy refuses)."""
    if not isinstance(markup, SafeData):
        return conditional_escape(str(markup))
    return mark_safe(_STYLE_ATTRIBUTE.sub("", str(markup)))  # noqa: S308 (already safe)

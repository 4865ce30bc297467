"""``{% fragment %}``: a part of a page rendered once per process (signatures/fragments.py).

    {% fragment "sign-form" petition.slug challenge_offered unless form.is_bound form.initial %}
      ... the same for every visitor with these values ...
    {% endfragment %}

The key is the name, the values given and always the active language and
script prefix. When any value after ``unless`` is true (a submitted form,
with what the visitor typed and its errors), the part is rendered as usual
and not stored.
"""

from __future__ import annotations

from collections.abc import Hashable

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from safepassage.signatures import fragments

register = template.Library()


def _key_value(value: object) -> Hashable:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


class FragmentNode(template.Node):
    def __init__(
        self,
        name: str,
        vary_on: list[FilterExpression],
        unless: list[FilterExpression],
        nodelist: NodeList,
    ) -> None:
        self.name = name
        self.vary_on = vary_on
        self.unless = unless
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        if any(expression.resolve(context) for expression in self.unless):
            return self.nodelist.render(context)
        key = (
            self.name,
            get_language(),
            get_script_prefix(),
            *(_key_value(expression.resolve(context)) for expression in self.vary_on),
        )
        html = fragments.get(key)
        if html is None:
            html = str(self.nodelist.render(context))
            fragments.put(key, html)
        return mark_safe(html)  # noqa: S308 (rendered by the template engine above)


@register.tag("fragment")
def fragment(parser: Parser, token: Token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("{% fragment %} needs a quoted name first")
    name = bits[1][1:-1]
    rest = bits[2:]
    unless: list[str] = []
    if "unless" in rest:
        at = rest.index("unless")
        rest, unless = rest[:at], rest[at + 1 :]
        if not unless:
            raise template.TemplateSyntaxError("{% fragment %}: values expected after 'unless'")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        name,
        [parser.compile_filter(bit) for bit in rest],
        [parser.compile_filter(bit) for bit in unless],
        nodelist,
    )

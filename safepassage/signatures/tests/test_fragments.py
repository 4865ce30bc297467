"""The signing page's cached fragments (signatures/fragments.py): the same for everyone, never a
visitor's own values or errors, one set per language."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse

from conftest import sign_data
from safepassage.campaigns.models import PetitionText, count_cache_key
from safepassage.signatures import fragments

pytestmark = pytest.mark.django_db

# What a visitor types, each a value that appears nowhere else on the page.
TYPED = {
    "first_name": "Xanthippe-Typed",
    "last_name": "Quillborough-Typed",
    "email": "xanthippe.typed@example.org",
    "city": "Typedtown-Zq",
    "region": "Nowhere-Typed-Region",
}


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    fragments.forget()
    yield
    fragments.forget()


def page(client, petition, language: str = "en", **extra) -> str:
    url = reverse("signatures:sign", args=[petition.slug])
    content: bytes = client.get(url, {"lang": language}, **extra).content
    return content.decode()


def without_tokens(html: str) -> str:
    return re.sub(r'name="(form_token|csrfmiddlewaretoken)" value="[^"]+"', "", html)


def test_a_cached_page_is_the_page_rendered_afresh(client, petition):
    first = page(client, petition)  # renders and stores the fragments
    assert {key[0] for key in fragments.stored()} >= {
        "sign-form",
        "sign-heading",
        "sign-text",
        "sign-social-meta",
        "site-footer",
        "language-select",
    }
    second = page(client, petition)  # from the fragments
    assert without_tokens(first) == without_tokens(second)
    fragments.forget()
    assert without_tokens(page(client, petition)) == without_tokens(first)


def test_the_count_and_the_goal_are_never_kept_in_a_fragment(client, petition):
    """The counter, the progress bar's value and the goal sit beside fragments, not in them."""

    def shown(count: int) -> str:
        figures = {"confirmed": count, "paper": 0, "goal": petition.signature_goal}
        cache.set(count_cache_key(petition.pk), figures)
        return page(client, petition)

    first = shown(1234)
    assert re.search(r'id="signature-count"[^>]*>1,234</strong>', first)
    assert 'value="1234" id="signature-progress"' in first
    assert "of a goal of 10,000" in first
    assert fragments.stored(), "the page was rendered from fragments"
    later = shown(1240)
    assert re.search(r'id="signature-count"[^>]*>1,240</strong>', later)
    assert 'value="1240" id="signature-progress"' in later
    petition.signature_goal = 20_000
    petition.save()
    raised = shown(1240)
    assert "of a goal of 20,000" in raised and 'max="20000"' in raised


def test_no_fragment_holds_what_a_visitor_typed_or_their_errors(client, petition):
    page(client, petition)
    before = fragments.stored()
    # A submission with errors shows the form again with the visitor's values and errors ...
    response = client.post(
        reverse("signatures:sign", args=[petition.slug]),
        sign_data(**TYPED, country="KR", publish_name=""),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    for name, value in TYPED.items():
        if name != "region":  # a select for Korea: the typed name is not one of its options
            assert f'value="{value}"' in html
    assert 'aria-describedby="id_region_error"' in html
    assert "Please choose your state or province from the list" in html
    assert 'id="error-summary"' in html
    assert '<option value="KR-11"' in html  # the region list of the chosen country
    # ... and none of it reaches a fragment, in this language or any other.
    page(client, petition, "ko")
    stored = fragments.stored()
    assert set(before) <= set(stored)
    for key, html in stored.items():
        for value in TYPED.values():
            assert value not in html, key
            assert value not in str(key), key
        assert "error-summary" not in html, key
        assert 'class="error"' not in html, key
        assert "KR-11" not in html, key
    # The next visitor gets a blank form.
    blank = page(client, petition)
    assert not any(value in blank for value in TYPED.values())
    assert "error-summary" not in blank


def test_each_language_has_its_own_fragments(client, petition):
    english = page(client, petition, "en")
    korean = page(client, petition, "ko")
    assert 'lang="ko"' in korean
    assert "Sign the petition" in english
    assert "Sign the petition" not in korean
    forms = {key[1]: html for key, html in fragments.stored().items() if key[0] == "sign-form"}
    assert set(forms) == {"en", "ko"}
    assert forms["en"] != forms["ko"]
    assert "First name" in forms["en"] and "First name" not in forms["ko"]
    # Each visitor of a language gets that language's fragments back.
    assert without_tokens(page(client, petition, "ko")) == without_tokens(korean)
    assert without_tokens(page(client, petition, "en")) == without_tokens(english)


def test_an_edited_text_is_shown_at_once(client, petition):
    assert "An edited title, new today" not in page(client, petition)
    text = PetitionText.objects.get(petition=petition, language="en")
    text.title = "An edited title, new today"
    text.body = "A **new** paragraph."
    text.save()
    cache.clear()
    html = page(client, petition)
    assert "An edited title, new today" in html
    assert "<strong>new</strong>" in html


def test_unless_renders_afresh_and_stores_nothing():
    template = Template(
        '{% load fragments %}{% fragment "probe" name unless secret %}<p>{{ name }}</p>'
        "{% endfragment %}"
    )
    assert template.render(Context({"name": "a", "secret": "typed"})) == "<p>a</p>"
    assert not fragments.stored()
    assert template.render(Context({"name": "a"})) == "<p>a</p>"
    assert template.render(Context({"name": "b"})) == "<p>b</p>"  # the name is in the key
    assert len(fragments.stored()) == 2

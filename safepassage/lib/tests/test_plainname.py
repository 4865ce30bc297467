"""Which names a mail may greet someone by (safepassage/lib/plainname.py)."""

from __future__ import annotations

import pytest

from safepassage.lib.plainname import plain_name


@pytest.mark.parametrize(
    "name",
    [
        "Ji-woo",
        "O'Brien",
        "D\u2019Angelo",
        "Mar\u00eda Jos\u00e9",
        "Mary Ann Lee",
        "\uae40\ubbfc\uc218",
        "\u5c71\u7530 \u592a\u90ce",
        "\u30e6\u30fc\u30ea",
        "\u0645\u062d\u0645\u062f",
        "\u0410\u043d\u043d\u0430",
        "\u0928\u093f\u0916\u093f\u0932",  # Devanagari, with combining vowel signs
    ],
)
def test_plain_names_in_any_script_pass(name):
    assert plain_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "evil.example",
        "evil\uff0eexample",
        "evil\u3002example",
        "evil\uff61example",  # halfwidth ideographic full stop
        "a/b",
        "a:b",
        "a@b",
        "Anna2",
        "\u202eAnna",
        "An\u200dna",
        "An\u200cna",
        "Anna  Lee",
        " Anna",
        "Anna ",
        "-Anna",
        "Anna-",
        "An--na",
        "Go to evil now",
        "A" * 31,
        "B" * 21 + " C",
        "[Anna]",
        "<Anna>",
        "Anna!",
        "\u0301Anna",
        "Anx\u0300\u0301\u0302\u0303a",  # a pile of combining marks
    ],
)
def test_anything_that_is_not_plainly_a_name_fails(name):
    assert plain_name(name) == ""


def test_fullwidth_letters_are_judged_and_greeted_in_their_plain_form():
    assert plain_name("\uff21\uff4e\uff4e\uff41") == "Anna"

"""Merge fields: finding, checking and filling ``{{ field }}`` in letters."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.directory.models import Mission
from safepassage.letters import merge as merge_module
from safepassage.letters.merge import (
    MERGE_FIELDS,
    MergeContext,
    context_for,
    find_fields,
    merge,
    merge_plain,
    sample_context,
    unknown_fields,
)
from safepassage.letters.tests.letter_fixtures import (
    TODAY,
    make_letter,
    make_mission,
    make_organisation,
)
from safepassage.lib.markdown import render_markdown

REQUIRED = {
    "date", "day_of_action", "mission_name", "mission_address", "mission_city",
    "mission_country", "target_name", "target_title", "signatures_mission",
    "signatures_total", "campaign_title", "organisation_name",
}  # fmt: skip


def visible_text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_every_documented_field_exists_with_a_description():
    assert set(MERGE_FIELDS) >= REQUIRED
    assert all(str(description).strip() for description in MERGE_FIELDS.values())
    assert set(MergeContext.__dataclass_fields__) == set(MERGE_FIELDS)


def test_it_finds_fields_in_order_once_with_or_without_spaces():
    text = "{{mission_name}} and {{ date }} then {{  mission_name  }} and {{ nope }}"
    assert find_fields(text) == ["mission_name", "date", "nope"]


def test_it_reports_unknown_and_malformed_fields_but_not_known_ones():
    text = (
        "Dear {{ target_title }}, {{ mission_nmae }} {{ }} {{ two words }} "
        "{{ mission_nmae }} and finally {{ signatures_mission"
    )
    assert unknown_fields(text) == [
        "mission_nmae",
        "{{ }}",
        "{{ two words }}",
        "{{ signatures_mission",
    ]
    assert unknown_fields("{{ date }} {{mission_address}} { single } }} stray") == []


def test_merge_substitutes_and_leaves_everything_else_as_written():
    text = "# {{ campaign_title }}\n\nDear {{target_title}}, { not a field } {{ unknown }} *kept*"
    merged = merge(text, {"campaign_title": "Refugees Day", "target_title": "President"})
    assert merged == "# Refugees Day\n\nDear President, { not a field } {{ unknown }} *kept*"


def test_merge_values_are_printed_literally_never_as_markup():
    value = "*Consulate* <script>alert(1)</script> [click](http://evil.example) `x` {{ date }} & #1"
    rendered = render_markdown(merge("To the {{ mission_name }}.", {"mission_name": value}))
    assert "<em>" not in rendered and "<script" not in rendered and "<a " not in rendered
    assert "<code>" not in rendered
    assert visible_text(rendered) == f"To the {value}."


def test_a_multi_line_value_keeps_its_lines_without_starting_blocks():
    address = "1. Main Street\n# 5\n- Floor 3\n\n    10115 Berlin\n> Germany"
    rendered = render_markdown(merge("{{ mission_address }}", {"mission_address": address}))
    for tag in ("<ol", "<ul", "<h", "<pre", "<blockquote"):
        assert tag not in rendered
    assert rendered.count("<br") == 4
    assert visible_text(rendered) == "1. Main Street # 5 - Floor 3 10115 Berlin > Germany"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=60))
def test_any_single_line_value_renders_as_exactly_its_text(value):
    rendered = render_markdown(merge("Value: {{ mission_city }}", {"mission_city": value}))
    assert visible_text(rendered) == " ".join(f"Value: {value}".split())


def test_merge_plain_inserts_raw_values_and_joins_lines():
    assert merge_plain("Re: {{ mission_name }}", {"mission_name": "A & B *C*"}) == "Re: A & B *C*"
    assert merge_plain("{{ mission_address }}", {"mission_address": "a\n b\n\nc"}) == "a, b, c"


def test_the_context_has_the_mission_the_counts_and_an_english_long_date(campaign):
    mission = make_mission()
    version = make_letter(campaign, make_organisation())
    context = context_for(
        version.letter, mission, signatures_mission=1234, signatures_total=1234567, on=TODAY
    )
    assert set(context) == set(MERGE_FIELDS)
    assert context["date"] == "September 1, 2026"
    assert context["day_of_action"] == "September 24, 2026"
    assert context["mission_name"] == mission.name
    assert context["mission_address"].splitlines() == [
        "3-4-33 Moto-Azabu, Minato-ku",
        "Tokyo 106-0046",
        "Japan",
    ]
    assert context["mission_city"] == "Tokyo"
    assert context["mission_country"] == "Japan"
    assert context["signatures_mission"] == "1,234"
    assert context["signatures_total"] == "1,234,567"
    assert context["target_name"] == "Xi Jinping"
    assert context["organisation_name"] == "Tokyo Refugee Aid Network"
    assert context["campaign_title"] == "Save North Korean Refugees Day"


@pytest.mark.parametrize(
    ("language", "expected_date", "expected_count"),
    [
        ("ko", "2026년 9월 1일", "1,234"),
        ("ja", "2026年9月1日", "1,234"),
        ("de", "1. September 2026", "1.234"),
    ],
)
def test_dates_and_numbers_follow_the_letters_language(
    campaign, language, expected_date, expected_count
):
    version = make_letter(campaign, None, language=language)
    context = context_for(
        version.letter, None, signatures_mission=1234, signatures_total=0, on=TODAY
    )
    assert context["date"] == expected_date
    assert context["signatures_mission"] == expected_count
    assert context["mission_name"] == "" and context["mission_address"] == ""
    # The sample letter is sent in the campaign's name.
    assert context["organisation_name"] == campaign.title


def test_an_address_without_street_lines_uses_postcode_and_city(campaign):
    mission = make_mission(postal_address="", postcode="10117", city="Berlin", host_country="DE")
    version = make_letter(campaign, None, language="ko")
    context = context_for(
        version.letter, mission, signatures_mission=0, signatures_total=0, on=TODAY
    )
    assert context["mission_address"].splitlines() == ["10117 Berlin", "독일"]


def test_the_sample_context_uses_the_first_open_embassy(campaign):
    make_mission(
        key="Q-consulate",
        kind=Mission.Kind.CONSULATE_GENERAL,
        name="Consulate-General in Osaka",
        host_country="JP",
        city="Osaka",
    )
    make_mission(
        key="Q-closed",
        name="Closed Embassy",
        host_country="AT",
        status=Mission.Status.CLOSED,
        closed="2020",
    )
    embassy = make_mission(key="Q-embassy")
    version = make_letter(campaign, None)
    context = sample_context(version.letter)
    assert context["mission_name"] == embassy.name
    assert context["signatures_total"] == "0"
    assert context["date"]


def test_without_missions_the_sample_context_invents_values_marked_as_examples(campaign):
    version = make_letter(campaign, None)
    context = sample_context(version.letter)
    for name in ("mission_name", "mission_address", "mission_city", "mission_country"):
        assert "example" in context[name].lower()
    assert unknown_fields(merge_module.merge("{{ mission_name }}", context)) == []

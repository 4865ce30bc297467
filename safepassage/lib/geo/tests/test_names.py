"""Behaviour of place names: typed any way, a name reduces to one lookup key."""

from __future__ import annotations

import pytest

from safepassage.lib.geo.names import normalise, strip_kind


def test_it_ignores_case_accents_and_punctuation() -> None:
    assert normalise("São Paulo") == normalise("sao-paulo") == "sao paulo"
    assert normalise("München") == normalise("MUNCHEN") == "munchen"
    assert normalise("'s-Gravenhage") == "s gravenhage"
    assert normalise("Łódź") == "lodz"
    assert normalise("\uff34\uff2f\uff2b\uff39\uff2f") == "tokyo"  # full-width TOKYO


def test_it_leaves_hangul_and_cjk_intact() -> None:
    assert normalise("서울") == "서울"
    assert normalise(normalise("서울특별시")) == "서울특별시"
    assert normalise("東京都") == "東京都"
    assert normalise("北京") == "北京"


def test_it_keeps_the_marks_that_change_a_kana() -> None:
    assert normalise("ギフ") != normalise("キフ")


@pytest.mark.parametrize(
    ("typed", "short"),
    [
        ("서울특별시", "서울"),
        ("東京都", "東京"),
        ("Suwon-si", "suwon"),
        ("City of London", "london"),
    ],
)
def test_it_drops_the_ending_that_names_the_kind_of_place(typed: str, short: str) -> None:
    assert strip_kind(normalise(typed)) == short


def test_a_name_that_is_only_an_ending_stays_whole() -> None:
    assert strip_kind(normalise("市")) == "市"

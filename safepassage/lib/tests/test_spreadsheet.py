import pytest

from safepassage.lib.spreadsheet import neutralise, unneutralise


@pytest.mark.parametrize(
    "cell",
    ["=1+2", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3=x", "@SUM(A1)", "\tx", "\rx"],
)
def test_formulas_are_neutralised_and_restored(cell):
    safe = neutralise(cell)
    assert safe == "'" + cell
    assert unneutralise(safe) == cell


@pytest.mark.parametrize(
    "cell", ["+49 89 17301612", "-1 234", "+1 (202) 495-2266", "plain", "", "'quoted"]
)
def test_values_stay_as_they_are(cell):
    assert neutralise(cell) == cell
    assert unneutralise(cell) == cell

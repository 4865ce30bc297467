"""The packet's totals say "1 further signer", not "1 further signers"."""

from __future__ import annotations

from safepassage.packets import assemble
from safepassage.packets.snapshot import Counts


def test_one_further_signer_is_singular_and_more_are_plural():
    one = assemble.totals_lines(Counts(named=2, unnamed=1, withheld=1), 4, 9)
    assert "and 1 further signer who asked not to be named" in one
    assert "and 1 further signature whose name was withheld" in one
    many = assemble.totals_lines(Counts(named=2, unnamed=3, withheld=0), 5, 9)
    assert "and 3 further signers who asked not to be named" in many
    assert "and 0 further signatures whose names were withheld" in many

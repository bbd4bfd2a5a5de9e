"""The package's one-sided Fisher exact test gives scipy's p-values (scipy's statistics
are not imported by the package: 0.6-2 s in every command and kernel building coaching)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from pipereview.core._errors import InputError
from pipereview.core._exacttest import fisher_one_sided

_count = st.integers(0, 400)


@settings(max_examples=400, deadline=None)
@given(_count, _count, _count, _count, st.sampled_from(["less", "greater"]))
def test_the_same_p_value_as_scipy(a: int, b: int, c: int, d: int, alternative: str) -> None:
    table = ((a, b), (c, d))
    expected = float(fisher_exact(table, alternative=alternative)[1])
    assert fisher_one_sided(table, alternative) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_large_tables_as_a_full_size_team_has() -> None:
    table = ((1200, 8800), (30_000, 170_000))
    for alternative in ("less", "greater"):
        expected = float(fisher_exact(table, alternative=alternative)[1])
        assert fisher_one_sided(table, alternative) == pytest.approx(expected, rel=1e-8)


def test_hand_computed_tails() -> None:
    # ((0, 5), (5, 0)): the top-left count is 0 in exactly one of C(10, 5) tables
    assert fisher_one_sided(((0, 5), (5, 0)), "less") == pytest.approx(1 / math.comb(10, 5))
    assert fisher_one_sided(((0, 5), (5, 0)), "greater") == pytest.approx(1.0)
    # ((2, 1), (1, 2)): P(X >= 2) = (C(3,2) C(3,1) + C(3,3) C(3,0)) / C(6,3) = 10/20
    assert fisher_one_sided(((2, 1), (1, 2)), "greater") == pytest.approx(0.5)
    assert fisher_one_sided(((0, 0), (0, 0)), "less") == 1.0


@pytest.mark.parametrize(
    ("table", "alternative", "message"),
    [
        (((1, 2), (3, 4)), "two-sided", "alternative must be 'less' or 'greater'"),
        (((1, -2), (3, 4)), "less", "cannot hold a negative count"),
    ],
)
def test_a_wrong_call_is_refused_by_name(
    table: tuple[tuple[int, int], tuple[int, int]], alternative: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        fisher_one_sided(table, alternative)

"""The one-sided Fisher exact test of a 2x2 table, the guard against noise of the
coaching rules that compare a rep's stage conversion with the teammates'.

``scipy.stats.fisher_exact`` gives the same p-values (a test checks them against it on
random tables) but importing scipy's statistics costs 0.6-2 s in every command and kernel
that builds coaching; this is the test's definition, the hypergeometric tail summed in log
space.

>>> round(fisher_one_sided(((10, 30), (40, 40)), "less"), 6)
0.007038
>>> round(fisher_one_sided(((3, 0), (0, 3)), "greater"), 12)  # 1 / C(6, 3)
0.05
"""

from __future__ import annotations

import numpy as np

from pipereview.core._errors import InputError

__all__ = ["fisher_one_sided"]

_LOG_FACTORIALS = np.zeros(1)  # log(m!) for m = 0, 1, ...: grown as larger tables come


def _log_factorials(upto: int) -> np.ndarray:
    """log(m!) for m = 0 up to at least ``upto`` (kept and grown between calls; the table
    returned is the one built or read here, so a thread growing it at the same time can
    never hand back a shorter one)."""
    global _LOG_FACTORIALS
    table = _LOG_FACTORIALS
    if len(table) <= upto:
        size = max(upto + 1, 2 * len(table))
        steps = np.log(np.arange(1, size, dtype=float))
        table = np.concatenate([[0.0], np.cumsum(steps)])
        if len(table) > len(_LOG_FACTORIALS):
            _LOG_FACTORIALS = table
    return table


def fisher_one_sided(table: tuple[tuple[int, int], tuple[int, int]], alternative: str) -> float:
    """The p-value of the one-sided Fisher exact test of ``table`` (``((a, b), (c, d))``,
    counts): with ``alternative`` "less", the chance of a top-left count of ``a`` or less
    given the table's row and column totals (the hypergeometric distribution); with
    "greater", of ``a`` or more. The same as ``scipy.stats.fisher_exact(table,
    alternative=...)[1]`` to within a relative 1e-9.

    >>> round(fisher_one_sided(((0, 5), (5, 0)), "less") * 252, 9)  # 1 / C(10, 5)
    1.0
    """
    if alternative not in ("less", "greater"):
        raise InputError(
            f"alternative must be 'less' or 'greater', got {alternative!r}",
            expected="less or greater",
            hint="'less': the top-left count is low; 'greater': it is high",
        )
    (a, b), (c, d) = ((int(x) for x in row) for row in table)
    if min(a, b, c, d) < 0:
        raise InputError(
            f"a 2x2 table of counts cannot hold a negative count: {table}",
            expected="counts of 0 or more",
            hint="pass the table's counts (moved, not moved) per row",
        )
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    lo, hi = max(0, col1 - row2), min(col1, row1)
    logs = _log_factorials(total)
    xs = np.arange(lo, a + 1) if alternative == "less" else np.arange(a, hi + 1)
    log_pmf = (
        logs[row1]
        - logs[xs]
        - logs[row1 - xs]
        + logs[row2]
        - logs[col1 - xs]
        - logs[row2 - col1 + xs]
        - (logs[total] - logs[col1] - logs[total - col1])
    )
    top = float(log_pmf.max())
    return min(1.0, float(np.exp(top) * np.exp(log_pmf - top).sum()))

"""Integer cents split into parts that sum exactly to the whole: the one rounding rule of
every decomposition (targets by quarter, month, week and rep; seasonal plans).

>>> allocate_cents(100, [1, 2]).tolist()
[33, 67]
"""

from __future__ import annotations

import numpy as np

from pipereview.core._errors import InputError

__all__ = ["allocate_cents"]


def allocate_cents(totals: int | np.ndarray, weights: np.ndarray | list[int]) -> np.ndarray:
    """Split each total (integer cents) into parts proportional to integer ``weights``;
    each row of the result sums exactly to its total (largest remainder, ties to the
    earlier part).

    >>> allocate_cents(100, [1, 1, 1]).tolist()
    [34, 33, 33]
    >>> allocate_cents(np.array([10, 11]), [1, 3]).tolist()
    [[3, 7], [3, 8]]
    """
    w = np.asarray(weights, dtype=np.int64)
    if (w < 0).any() or w.sum() == 0:
        raise InputError(
            f"weights {w.tolist()} must be >= 0 and not all 0",
            hint="give each part a weight >= 0, at least one above 0",
        )
    scalar = np.ndim(totals) == 0
    t = np.atleast_1d(np.asarray(totals, dtype=np.int64))[:, None]
    quota, remainder = np.divmod(t * w, w.sum())
    leftover = t[:, 0] - quota.sum(axis=1)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(w.size)[None, :].repeat(len(t), 0), axis=1)
    parts: np.ndarray = quota + (rank < leftover[:, None])
    return parts[0] if scalar else parts

"""Comparisons of computed figures with thresholds that hold exactly at the threshold.

Figures are computed in binary floating point, where a figure that equals its threshold
on paper often lands a few bits off: 0.29 - 0.14 is 0.14999999999999997, 3 x 0.2 is
0.6000000000000001, 0.80 + 0.15 is 0.9500000000000001. Compared with ``>=`` or ``>``, a
stage exactly 15 points above its reference would not be a bulge and a probability
exactly 10 points off would not be calibrated. These comparisons treat a figure within
:data:`TOLERANCE` (relative to the larger of the two, at least 1) of the threshold as
equal to it; NaN compares false, as with the operators.

>>> bool(at_least(0.29 - 0.14, 0.15)), bool(more_than(0.80 - 0.70, 0.10))
(True, False)
>>> at_least(np.array([0.1499, 0.15]), 0.15).tolist()
[False, True]
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

__all__: list[str] = []

#: How far apart (relative to the larger magnitude, at least 1) two figures may be and
#: still compare as equal: far below any difference a report shows (a cent is 1e-9 of
#: ten million).
TOLERANCE = 1e-9

T = TypeVar("T")


def slack(value: Any, threshold: Any) -> Any:
    """How far apart ``value`` and ``threshold`` may be and still compare as equal."""
    return TOLERANCE * np.maximum(np.maximum(np.abs(value), np.abs(threshold)), 1.0)


def at_least(value: T, threshold: Any) -> T:
    """``value >= threshold``, true also a few bits below it."""
    return value >= threshold - slack(value, threshold)  # type: ignore[no-any-return]


def more_than(value: T, threshold: Any) -> T:
    """``value > threshold``, false also a few bits above it."""
    return value > threshold + slack(value, threshold)  # type: ignore[no-any-return]


def at_most(value: T, threshold: Any) -> T:
    """``value <= threshold``, true also a few bits above it."""
    return value <= threshold + slack(value, threshold)  # type: ignore[no-any-return]


def less_than(value: T, threshold: Any) -> T:
    """``value < threshold``, false also a few bits below it."""
    return value < threshold - slack(value, threshold)  # type: ignore[no-any-return]

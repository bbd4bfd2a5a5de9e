"""Work derived from a history's columns, done once per set of columns.

The diagnostics of one review all read the same history: the same stage column, the same
deal keys, the same weeks. Columns backed by Arrow arrays are immutable — changing a value
gives the column a new array — so a result derived from given array objects stays true
for as long as those objects live. :func:`derived` remembers a few such results, keyed by
the arrays' identities (checked with weak references, so a reused ``id`` never matches)
and an extra key, for columns of at least :data:`MIN_ROWS` rows and within
:data:`BUDGET_BYTES`; columns of other kinds (NumPy object arrays can be changed in place)
are never remembered. :func:`clear_caches` forgets everything (benchmarks call it to time
cold runs).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["arrow_arrays", "clear_caches", "derived"]

T = TypeVar("T")
#: Smaller columns are quicker to redo than to remember.
MIN_ROWS = 50_000
#: At most this many bytes of results are kept (the least recently used go first).
BUDGET_BYTES = 512 * 2**20
_entries: OrderedDict[tuple[Hashable, ...], tuple[list[weakref.ref[Any]], Any, int]] = OrderedDict()
_lock = threading.Lock()


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 64


def arrow_arrays(*columns: pd.Series) -> list[Any] | None:
    """The immutable Arrow arrays behind ``columns``, or None when any column has none.

    >>> arrow_arrays(pd.Series(["a"], dtype="str")) is not None
    True
    >>> arrow_arrays(pd.Series(["a"], dtype=object)) is None
    True
    """
    arrays = []
    for column in columns:
        array = getattr(column.array, "_pa_array", None)
        if array is None:
            return None
        arrays.append(array)
    return arrays


def derived(arrays: Sequence[Any] | None, extra: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered for the same ``arrays`` (identity) and ``extra``; without
    arrays (columns that could change in place) it is always computed."""
    if arrays is None or not arrays or len(arrays[0]) < MIN_ROWS:
        return compute()
    key = (*(id(a) for a in arrays), extra)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and all(ref() is a for ref, a in zip(hit[0], arrays, strict=True)):
            _entries.move_to_end(key)
            value: T = hit[1]
            return value
    value = compute()
    size = _nbytes(value)
    with _lock:
        _entries[key] = ([weakref.ref(a) for a in arrays], value, size)
        while len(_entries) > 1 and sum(e[2] for e in _entries.values()) > BUDGET_BYTES:
            _entries.popitem(last=False)
    return value


def clear_caches() -> None:
    """Forget every remembered result."""
    with _lock:
        _entries.clear()

"""Work derived from a history's columns, done once per set of columns.

The diagnostics of one review all read the same history: the same stage column, the same
deal keys, the same weeks. Columns backed by Arrow arrays are immutable — changing a value
gives the column a new array — so a result derived from given array objects stays true
for as long as those objects live. :func:`derived` remembers a few such results, keyed by
the arrays' identities (checked with weak references, so a reused ``id`` never matches)
and an extra key; columns of other kinds (NumPy object arrays can be changed in place)
are never remembered. :func:`clear_caches` forgets everything (benchmarks call it to time
cold runs).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import pandas as pd

__all__ = ["arrow_arrays", "clear_caches", "derived"]

T = TypeVar("T")
_SIZE = 8
_entries: OrderedDict[tuple[Hashable, ...], tuple[list[weakref.ref[Any]], Any]] = OrderedDict()
_lock = threading.Lock()


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
    if arrays is None:
        return compute()
    key = (*(id(a) for a in arrays), extra)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and all(ref() is a for ref, a in zip(hit[0], arrays, strict=True)):
            _entries.move_to_end(key)
            value: T = hit[1]
            return value
    value = compute()
    with _lock:
        _entries[key] = ([weakref.ref(a) for a in arrays], value)
        while len(_entries) > _SIZE:
            _entries.popitem(last=False)
    return value


def clear_caches() -> None:
    """Forget every remembered result."""
    with _lock:
        _entries.clear()

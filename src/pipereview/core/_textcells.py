"""Control characters in the text cells of an export: found and removed.

A NUL, an escape or a Unicode line separator in a deal name breaks the dashboard's CSV and
XLSX exports, charts and file names; a line break in a next step breaks a one-line report.
Ingest removes them from every text field (line and column breaks become a space) and
counts the cells it changed; a deal ID that holds one is refused instead.

>>> clean_text(pd.Series(["Acme\\x00 Ltd", "call\\r\\nthen demo", "fine"]))[0].tolist()
['Acme Ltd', 'call then demo', 'fine']
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["clean_text", "control_characters", "strip_text"]

# control characters: C0, DEL, C1 and the Unicode line and paragraph separators; those
# that break a line or a column (tab, newlines, form feed, separators) become a space
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_CONTROL_RE = re.compile(_CONTROL)
_CONTROL_RE2 = r"[\x{0}-\x{1f}\x{7f}-\x{9f}\x{2028}\x{2029}]"  # the same, in RE2's syntax
_BREAKS = r"\r\n|[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]"


def control_characters(series: pd.Series) -> pd.Series:
    """True where a text cell holds a control character: C0 (tab and newlines too), DEL,
    C1, or the Unicode line and paragraph separators U+2028/U+2029.

    >>> control_characters(pd.Series(["Acme\\x00", "a\\tb", "fine", None])).tolist()
    [True, True, False, False]
    """
    none = pd.Series(False, index=series.index)
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return none
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        column = pa.chunked_array(pa.array(series.array))
        if not any(_may_hold_control(chunk) for chunk in column.chunks):
            return none
        # Arrow's own regex engine over the column: ~10x faster than the str accessor
        found = pc.match_substring_regex(column, _CONTROL_RE2)
        return pd.Series(
            found.fill_null(False).to_numpy(zero_copy_only=False), index=series.index, dtype=bool
        )
    # one scan over the distinct texts joined, then only the texts that hold one
    texts = [u for u in series.dropna().unique().tolist() if isinstance(u, str)]
    if not _CONTROL_RE.search(" ".join(texts)):
        return none
    return series.isin({t for t in texts if _CONTROL_RE.search(t)}).astype(bool)


def _may_hold_control(chunk: pa.Array) -> bool:
    """False when no byte of the chunk's UTF-8 text can start a control character: no C0
    byte or DEL, and no lead byte of C1 (0xC2) or of U+2028/U+2029 (0xE2). A whole
    column is checked this way in one pass over its bytes, before any regex."""
    if len(chunk) == 0 or chunk.buffers()[2] is None:
        return False
    offsets = np.frombuffer(
        chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    )
    first, last = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
    raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[first:last]
    return bool(
        (raw < 0x20).any() or (raw == 0x7F).any() or (raw == 0xC2).any() or (raw == 0xE2).any()
    )


def clean_text(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text cells without control characters: those that break a line or a column (tab,
    newlines, form feed, U+2028/U+2029 …) become a space, every other one (NUL, DEL, C1 …)
    is removed. Returns ``(cleaned, changed mask)``; other cells are left as they are.

    >>> clean_text(pd.Series(["Acme\\x00 Ltd", "call\\nthen demo", "fine"]))[0].tolist()
    ['Acme Ltd', 'call then demo', 'fine']
    """
    changed = control_characters(series)
    if not changed.any():
        return series, changed
    cleaned = series.copy()
    text = series[changed].str.replace(_BREAKS, " ", regex=True)
    cleaned[changed] = text.str.replace(_CONTROL, "", regex=True)
    return cleaned, changed


def strip_text(series: pd.Series) -> pd.Series:
    """``series.str.strip()``, or ``series`` itself when no cell can change: every cell of
    an Arrow text column starts and ends with a printable ASCII character (never
    whitespace), checked on the column's bytes without building a new column.

    >>> strip_text(pd.Series([" Acme ", "Big Co"], dtype="str")).tolist()
    ['Acme', 'Big Co']
    """
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        column = pa.chunked_array(pa.array(series.array))
        if all(_edges_printable(chunk) for chunk in column.chunks):
            return series
    return series.str.strip()


def _edges_printable(chunk: pa.Array) -> bool:
    """True when the first and the last byte of every non-empty cell of the chunk are
    printable ASCII (``!`` to ``~``); False for anything this cannot tell."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return False
    if len(chunk) == 0 or chunk.buffers()[2] is None:
        return True
    offsets = np.frombuffer(
        chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    )[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    first, last = raw[starts[filled]], raw[ends[filled] - 1]
    return not bool(
        ((first < 0x21) | (first > 0x7E)).any() or ((last < 0x21) | (last > 0x7E)).any()
    )

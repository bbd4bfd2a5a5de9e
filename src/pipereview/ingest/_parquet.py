"""Reading Parquet exports: the schema checked before the rows are read, every value
converted to something the value parsers judge (never a crash on a type pandas cannot hold).

- a list, struct or map column under a name a column map reads as a deal field is refused
  with the column and its type (a field holds one value per deal);
- dates and times outside pandas' nanosecond range (``9999-12-31``, year 1600) are read as
  text, so the date parser makes them row problems (or blanks, for placeholders);
- dictionary-encoded columns are decoded, so every column holds plain values.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._text import normalize_label
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._peek import ExportPeek

__all__ = ["peek_parquet", "read_parquet"]

_NESTED = (
    "list",
    "large_list",
    "fixed_size_list",
    "list_view",
    "large_list_view",
    "struct",
    "map",
    "union",
    "dense_union",
    "sparse_union",
)


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(
        f"{path} cannot be read as a Parquet file ({exc}): expected a complete Parquet file",
        file=path,
        expected="a Parquet file",
        hint="write or download the file again; it may be truncated",
    )


def _is_nested(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_nested(kind) or pa.types.is_union(kind))


def peek_parquet(
    path: Path, known: Collection[str] = (), limits: ReadLimits = DEFAULT_LIMITS
) -> ExportPeek:
    """The Parquet file's columns, checked: a list/struct/map column under a name in
    ``known`` (normalised header names of the column maps) refuses the file, and so do
    more rows or columns than ``limits`` allow."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except Exception as exc:  # pyarrow raises several kinds for damaged files
        raise _unreadable(path, exc) from None
    names = tuple(str(name) for name in schema.names)
    known_set = set(known)
    for item in schema:
        if _is_nested(item.type) and normalize_label(str(item.name)) in known_set:
            raise InputError(
                f"{path}: column {item.name!r} holds {item.type} values (a list or a record "
                "per deal): expected one value per deal (a number, a text or a date)",
                file=path,
                column=str(item.name),
                expected="one value per deal",
                hint="write the column as plain values (e.g. the total amount rather than "
                "the line items), or rename it so that no column map reads it",
            )
    for name, found, limit in (
        ("max_columns", len(names), limits.max_columns),
        ("max_rows", meta.num_rows + 1, limits.max_rows),
    ):
        if found > limit:
            raise InputError(
                f"{path}: {found} {name.removeprefix('max_')}, more than the limit of {limit} "
                f"({name}): expected at most {limit}",
                file=path,
                expected=f"at most {limit} {name.removeprefix('max_')}",
                hint=f"raise the limit in the configuration file's limits: section (e.g. "
                f"{name}: {found}) if the file is a real export",
            )
    return ExportPeek(path, "parquet", names, 1, limits=limits)


def read_parquet(peek: ExportPeek) -> pd.DataFrame:
    """Every row of the Parquet file, columns named as text; dates beyond pandas' range
    as ISO text, dictionary-encoded columns decoded."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(peek.path)
    except Exception as exc:  # pyarrow raises several kinds for damaged files
        raise _unreadable(peek.path, exc) from None
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
        if pa.types.is_temporal(column.type) and not _fits_pandas(column):
            column = _as_text(column)
        columns.append(column)
    frame: pd.DataFrame = pa.table(columns, names=[str(n) for n in table.column_names]).to_pandas(
        date_as_object=True
    )
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _fits_pandas(column: Any) -> bool:
    """Whether every value of a date/time column lies within pandas' nanosecond range."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if (
        pa.types.is_time(column.type)
        or pa.types.is_duration(column.type)
        or pa.types.is_interval(column.type)
    ):
        return True
    bounds = pc.min_max(column)
    try:
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
    except (OverflowError, ValueError):  # past year 9999 in the column's own time zone
        return False
    # pandas' nanosecond timestamps run from 1677-09-21 to 2262-04-11
    return low is None or (low.year >= 1678 and high.year <= 2261)


def _as_text(column: Any) -> Any:
    """A date/time column as ISO text, in its own time zone."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    return pc.cast(column, pa.string())

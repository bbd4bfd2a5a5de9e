"""Ingest: one CRM export file -> one week's canonical snapshot, with every problem found.

>>> result = read_export("tests/data/headers/hubspot.csv", week="2026-W47")
>>> result.report.rows_kept, result.report.column_map
(3, 'hubspot')

:func:`read_export` never raises for bad *rows*: it returns the good rows as the snapshot,
the bad ones (and skipped blank or footer rows) as the quarantine with a reason each, and a
report that lists every problem at once. It raises for problems with the *file* (not an
export, no column map fits, a required column missing, a stray quote that would fold rows
together, a cell or file over the :class:`~pipereview.ingest._limits.ReadLimits`).
:func:`load_snapshot` is the strict form: it raises :class:`SchemaError` when any row is
bad.

Every row is accounted for: the rows read are the file's rows counted a second way,
independently of the reader (see :mod:`pipereview.ingest._accounting`), and each is kept,
rejected or skipped with its reason; a file where that does not hold is refused, naming
the line.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pandas as pd

from pipereview.core._errors import ColumnMapError, SchemaError
from pipereview.core._stages import (
    StageModel,
    load_stage_model,
)
from pipereview.core._text import normalize_label
from pipereview.core._weeks import Week
from pipereview.ingest._accounting import check_accounting, scan_export
from pipereview.ingest._builder import PLAIN_NUMBERS, READ_AS_TEXT, RowBuilder
from pipereview.ingest._columnmaps import (
    ColumnMap,
    column_map_names,
    detect_column_map,
    load_column_map,
)
from pipereview.ingest._formatguess import choose_stage_model, settle_decimal
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._readers import ExportPeek, peek_export, read_rows
from pipereview.ingest._results import IngestReport, IngestResult

__all__ = ["IngestReport", "IngestResult", "load_snapshot", "read_export"]


def read_export(
    path: str | Path,
    *,
    week: str | Week,
    column_map: str | Path | ColumnMap | None = None,
    stage_model: str | Path | StageModel | None = None,
    team: str | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> IngestResult:
    """Read one CRM export into the canonical snapshot of ``week``.

    ``column_map`` is a shipped map name, a YAML path or a :class:`ColumnMap`; without it
    the map is detected from the header. ``stage_model`` defaults to the map's. ``team``
    names the team when the export has no team column (else the map's ``default_team``).
    ``limits`` bound the cell size, columns and rows read (default: :class:`ReadLimits`).
    """
    week = week if isinstance(week, Week) else Week.parse(week)
    path = Path(path)
    user_map = (
        column_map
        if isinstance(column_map, ColumnMap)
        else (load_column_map(column_map) if column_map is not None else None)
    )
    limits = limits or DEFAULT_LIMITS
    peek = peek_export(
        path, known_headers=_known_headers(user_map), encoding=encoding, limits=limits
    )
    cmap = user_map or detect_column_map(peek.header, file=path)
    numbered, notes = cmap.number_repeats(peek.header, file=peek.path, row=peek.header_row)
    _check_header(peek, cmap)
    model = (
        stage_model
        if isinstance(stage_model, StageModel)
        else load_stage_model(stage_model or cmap.stage_model)
    )
    found = cmap.resolve(peek.header)
    peek, scan = scan_export(peek, limits)  # CSV: the independent count, stray quotes, sizes
    peek = replace(peek, header=numbered)  # repeated association columns numbered
    text = [found[f] for f in READ_AS_TEXT if f in found]
    raw = read_rows(
        peek,
        text,
        long_rows="keep",
        # numbers the reader read plainly are kept under a decimal-point map
        plain_numbers={found[f]: span for f, span in PLAIN_NUMBERS.items() if f in found}
        if cmap.decimal == "."
        else {},
    )
    cmap, raw, decimal_note = settle_decimal(
        cmap,
        raw,
        found.get("amount"),
        file=path,
        csv=(peek.path, peek.delimiter or ",", peek.encoding) if peek.kind == "csv" else None,
        reread=lambda: read_rows(peek, text, long_rows="keep"),
    )
    chosen_note: tuple[str, ...] = ()
    if stage_model is None and not raw.empty:
        model, chosen_note = choose_stage_model(raw[found["stage"]], model, cmap)
    notes += chosen_note + decimal_note
    if "account" not in found:
        notes += (
            "no account column: deals are matched across weeks by their ID, else by "
            "their name among the same owner's and team's deals",
        )
    if raw.empty:
        raise SchemaError(
            f"{path}: no deals in the file: nothing below the header on row {peek.header_row}",
            file=path,
            row=peek.header_row + 1,
            expected="at least one deal below the header",
            hint="export the report again with its rows (check the report's filters and "
            "date range)",
        )
    result = RowBuilder(peek, cmap, model, found, raw, str(week), team).build()
    check_accounting(peek, raw, result, scan)
    return replace(result, report=replace(result.report, notes=notes)) if notes else result


def load_snapshot(path: str | Path, *, week: str | Week, **options: object) -> pd.DataFrame:
    """Strict :func:`read_export`: the canonical snapshot, or :class:`SchemaError` listing
    every bad row. Takes the same options.
    """
    result = read_export(path, week=week, **options)  # type: ignore[arg-type]
    result.raise_for_problems()
    return result.snapshot


@cache
def _shipped_headers() -> frozenset[str]:
    return frozenset(
        normalize_label(h)
        for name in column_map_names()
        for headers in load_column_map(name).columns.values()
        for h in headers
    )


def _known_headers(cmap: ColumnMap | None) -> frozenset[str]:
    if cmap is None:
        return _shipped_headers()
    return frozenset(normalize_label(h) for headers in cmap.columns.values() for h in headers)


def _check_header(peek: ExportPeek, cmap: ColumnMap) -> None:
    """Every required field has a column (a repeated header is refused by
    :meth:`ColumnMap.number_repeats` before)."""
    missing = cmap.missing_required(peek.header)
    if missing:
        wanted = "; ".join(f"{f} (one of {list(cmap.columns[f])})" for f in missing)
        raise ColumnMapError(
            f"{peek.path}: the header (row {peek.header_row}) has no column for {wanted} "
            f"under column map {cmap.name!r}",
            file=peek.path,
            row=peek.header_row,
            column=cmap.columns[missing[0]][0],
            expected=f"the columns of {cmap.label}",
            hint="add the column to the export, or write a column map with "
            f"'extends: {cmap.name}' naming your header for it and pass --map (docs/formats.md)",
        )

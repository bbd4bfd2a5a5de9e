"""A CRM's stage or field history export -> one canonical change log.

:func:`read_change_history` reads a Salesforce ``OpportunityHistory`` or field history
export (Data Loader or report), a HubSpot deals export with its ``Date entered`` columns
or a property history file, an Odoo tracking-value export, or a generic long file
(``deal_id, field, old_value, new_value, changed_at``), and returns every change as one
row: the deal, the canonical field (:data:`CHANGE_FIELDS`), the old and the new value as
the export writes them, and when. Values stay text: they are parsed later with the same
parsers as a deals export.

>>> log = read_change_history("tests/data/history/generic.csv")
>>> log.format, log.rows_read, log.rows_used, log.skipped
('generic', 5, 4, {'field not tracked (Description)': 1})
>>> log.changes[["deal_id", "field", "old_value", "new_value"]].values.tolist()[:2]
[['D-1', 'stage', 'Qualify', 'Propose'], ['D-1', 'amount', None, '12000']]

Every row below the header is used, quarantined (a :class:`Problem` naming the row, the
column, what was expected and what was found) or skipped (blank and footer rows, fields
the log does not track, events), and the counts are checked:
``rows_read == rows_used + rows_quarantined + rows_skipped``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.core._text import normalize_label
from pipereview.ingest._changeformats import (
    CHANGE_COLUMNS,
    CHANGE_FIELDS,
    HISTORY_FORMATS,
    closest_history_format,
    date_entered_stage,
    detect_history_format,
    history_columns,
)
from pipereview.ingest._changerows import ChangeRows, history_changes
from pipereview.ingest._changetimes import guess_date_format
from pipereview.ingest._countedexport import RowCounts
from pipereview.ingest._dates import DateFormat
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._peek import ExportPeek
from pipereview.ingest._readers import peek_export
from pipereview.ingest._rowcount import (
    check_each_row_counted,
    read_counted_rows,
    refuse_no_usable_row,
)
from pipereview.ingest._rowkind import skipped_rows

__all__ = ["ChangeLog", "read_change_history"]

_FORMAT_HINT = (
    "name the format with --format (one of {formats}); for another layout write or map a "
    "long file: --format generic --map deal_id=<header> --map field=<header> "
    "--map new_value=<header> --map changed_at=<header> (docs/history-exports.md)"
)

#: the roles whose cells may hold dates written day or month first
_DATED_ROLES = ("changed_at", "close_date", "old_value", "new_value")
#: the HubSpot deal properties a change log tracks, by their internal names
_HUBSPOT_PROPERTIES = frozenset(
    {
        "dealstage",
        "amount",
        "closedate",
        "hs_deal_stage_probability",
        "hs_forecast_category",
        "hubspot_owner_id",
        "dealname",
    }
)


@dataclass(frozen=True)
class ChangeLog(RowCounts):
    """Every change a history export holds, in :data:`CHANGE_COLUMNS`, and how its rows
    were counted.

    ``changes``: ``deal_id`` (text as written), ``field`` (one of :data:`CHANGE_FIELDS`),
    ``old_value`` and ``new_value`` (text as written, ``None`` when not known or blank),
    ``changed_at`` (``datetime64[ns]``, UTC when the export gives a zone),
    ``source_file``, ``source_row`` (as a spreadsheet numbers rows); sorted by deal,
    moment and row. ``date_format`` says how the export writes date values
    (``iso``, ``dmy`` or ``mdy``), for reading ``close_date`` values.
    """

    changes: pd.DataFrame
    format: str
    date_format: str


def read_change_history(
    path: str | Path,
    *,
    format: str | None = None,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> ChangeLog:
    """Read one history export (CSV in UTF-8 or GB18030, or XLSX) into a :class:`ChangeLog`.

    ``format`` is one of :data:`HISTORY_FORMATS` (detected from the header without it);
    ``column_map`` maps roles (``deal_id``, ``field``, ``old_value``, ``new_value``,
    ``changed_at``) to headers the format does not know. Raises :class:`InputError` for
    a header of no known format, a missing column, or a file with no usable row.
    """
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    peek = peek_export(path, known_headers=_known_headers(), encoding=encoding, limits=limits)
    name = format or detect_history_format(peek.header) or closest_history_format(peek.header)
    if name not in HISTORY_FORMATS:
        formats = ", ".join(HISTORY_FORMATS)
        raise InputError(
            f"{path}: "
            + (
                f"unknown history format {format!r}"
                if format
                else f"the header (row {peek.header_row}) is no history export pipereview knows: "
                f"found {list(peek.header)}"
            )
            + f"; known formats: {formats}",
            file=path,
            row=peek.header_row,
            expected=f"known formats: {formats}",
            hint=_FORMAT_HINT.format(formats=formats),
        )
    columns = history_columns(
        name, peek.header, column_map=column_map, file=path, row=peek.header_row
    )
    peek, raw = read_counted_rows(peek, limits)
    if format is None:
        name = _hubspot_or_generic(name, raw, columns)
    date_format = _date_format(name, raw, columns)
    rows = _rows(peek, raw, columns, name, date_format)
    return _change_log(peek, raw, rows, name, date_format)


def _rows(
    peek: ExportPeek,
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    name: str,
    date_format: DateFormat,
) -> ChangeRows:
    """The changes of the rows that are neither blank, nor footers, nor cut to the header."""
    file = str(peek.path)
    long_rows: dict[int, Problem] = {
        p.row: Problem(file, p.row, p.column, p.expected, p.got, p.hint)
        for p in raw.attrs.get("long_rows", ())
        if p.row is not None
    }
    protected = pd.Series(raw.index.isin(list(long_rows)), index=raw.index)
    blank, footer = skipped_rows(raw, _deal_columns(raw, columns, name), protected)
    rows = history_changes(
        name, raw[~blank & ~footer & ~protected], columns, file=file, date_format=date_format
    )
    rows.problems.update(long_rows)
    rows.skipped.update(dict.fromkeys(raw.index[blank].tolist(), "blank row"))
    rows.skipped.update(dict.fromkeys(raw.index[footer].tolist(), "report footer or total row"))
    return rows


def _deal_columns(raw: pd.DataFrame, columns: Mapping[str, str], name: str) -> dict[str, str]:
    """The columns that make a row look like a deal's (for the footer rules): its ID, a
    name when the export has one, and what changed."""
    by_label = {normalize_label(c): c for c in raw.columns}
    deal = columns["deal_id"]
    label = next(
        (by_label[n] for n in ("opportunity name", "deal name", "name") if n in by_label), deal
    )
    what = columns.get("field") or columns.get("stage") or columns.get("changed_at")
    if name == "hubspot_date_entered":
        dates = [c for c in raw.columns if date_entered_stage(str(c))]
        what = by_label.get("deal stage", dates[0] if dates else deal)
    return {"deal_id": deal, "deal_name": label, "owner": what or deal, "stage": what or deal}


def _date_format(name: str, raw: pd.DataFrame, columns: Mapping[str, str]) -> DateFormat:
    """How the export orders day and month: told by its dates when one has a day over 12,
    else a Salesforce report's default (the en_US locale, ``mdy``), else ``iso``."""
    at = columns.get("changed_at", "")
    report = name.startswith("salesforce") and " " in at.strip()
    default: DateFormat = "mdy" if report else "iso"
    dated = [c for role, c in columns.items() if role in _DATED_ROLES]
    if name == "hubspot_date_entered":
        dated = [c for c in raw.columns if date_entered_stage(str(c))]
    cells = [_text_cells(raw[c]) for c in dated]
    texts = pd.concat(cells, ignore_index=True) if cells else pd.Series(dtype="str")
    return guess_date_format(texts, default)


def _text_cells(column: pd.Series) -> pd.Series:
    """The cells of ``column`` written as text (a spreadsheet's dates and numbers left out)."""
    if not pd.api.types.is_object_dtype(column.dtype):
        return column.dropna().astype("str")
    return column[column.map(lambda c: isinstance(c, str))].astype("str")


def _change_log(
    peek: ExportPeek, raw: pd.DataFrame, rows: ChangeRows, name: str, date_format: DateFormat
) -> ChangeLog:
    """The sorted change log of ``rows``, its counts checked."""
    file = str(peek.path)
    changes = rows.changes.copy()
    changes["source_file"] = file
    changes["order"] = changes["field"].map({f: i for i, f in enumerate(CHANGE_FIELDS)})
    changes = changes.sort_values(
        ["deal_id", "changed_at", "source_row", "order"], kind="stable"
    ).reset_index(drop=True)
    changes = changes.astype(
        {
            "deal_id": "object",
            "field": "object",
            "old_value": "object",
            "new_value": "object",
            "changed_at": "datetime64[ns]",
            "source_file": "object",
            "source_row": "int64",
        }
    )[list(CHANGE_COLUMNS)]
    for column in ("old_value", "new_value"):
        changes[column] = changes[column].where(changes[column].notna(), None)
    used = set(changes["source_row"].tolist())
    check_each_row_counted(
        peek.path,
        raw.index.tolist(),
        used=used,
        quarantined=set(rows.problems),
        skipped=set(rows.skipped),
    )
    problems = tuple(rows.problems[r] for r in sorted(rows.problems))
    skipped = dict(Counter(rows.skipped.values()).most_common())
    if changes.empty:
        refuse_no_usable_row(
            peek,
            len(raw),
            problems,
            skipped,
            noun="change",
            what="change of a tracked field",
            hint="export the history of stage, amount, close date, probability, forecast "
            "category, owner or name changes (check the report's filters and date range)",
        )
    return ChangeLog(
        changes=changes,
        format=name,
        date_format=date_format,
        rows_read=len(raw),
        rows_used=len(used),
        rows_quarantined=len(problems),
        rows_skipped=len(rows.skipped),
        problems=problems,
        skipped=skipped,
        source=peek.path,
    )


def _hubspot_or_generic(name: str, raw: pd.DataFrame, columns: Mapping[str, str]) -> str:
    """A generic file whose fields are all HubSpot internal property names (``dealstage``,
    ``closedate``, ``hs_…`` …) is HubSpot's property history."""
    if name != "generic":
        return name
    written = {normalize_label(v) for v in raw[columns["field"]].dropna().astype("str")} - {""}
    hubspot = all(w in _HUBSPOT_PROPERTIES or w.startswith(("hs_", "hubspot_")) for w in written)
    hubspot = hubspot and bool(written - {"amount"})
    return "hubspot_property_history" if hubspot else name


@cache
def _known_headers() -> frozenset[str]:
    """Every header a history format knows (to find the header below report titles)."""
    return frozenset(
        normalize_label(h)
        for roles in HISTORY_FORMATS.values()
        for headers in roles.values()
        for h in headers
    )

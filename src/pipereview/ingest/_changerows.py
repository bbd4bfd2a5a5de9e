"""The rows of a history export, turned into long changes: one row per deal, field and
moment, with the values as the export writes them.

Three shapes of export are read here:

- *states* (Salesforce ``OpportunityHistory`` and its report): each row is the deal's
  state after a change; a row's changes are its fields that differ from the deal's row
  before (its first row: every filled field, with no old value);
- *long* (Salesforce field history, Odoo tracking values, HubSpot property history, the
  generic file): each row is one field's change;
- *stage dates* (a HubSpot deals export with its ``Date entered "<stage> (<pipeline>)"``
  columns): each filled cell is the deal entering that stage.

Every row comes back used (it gave changes), quarantined (with a :class:`Problem`) or
skipped (with a reason). The changes come field by field;
:func:`~pipereview.ingest._changelog.read_change_history` sorts them.

>>> raw = pd.DataFrame({"OpportunityId": ["006A", "006A"], "CreatedDate": ["2026-03-02", "2026-03-09"],
...                     "StageName": ["Prospecting", "Proposal"], "Amount": ["5000", "5000"]}, index=[2, 3])
>>> cols = {"deal_id": "OpportunityId", "changed_at": "CreatedDate", "stage": "StageName", "amount": "Amount"}
>>> rows = history_changes("salesforce_opportunity_history", raw, cols, file="h.csv")
>>> rows.changes[["field", "old_value", "new_value", "source_row"]].values.tolist()
[['stage', None, 'Prospecting', 2], ['stage', 'Prospecting', 'Proposal', 3], ['amount', None, '5000', 2]]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipereview.core._errors import Problem
from pipereview.core._text import normalize_label
from pipereview.ingest._changeformats import (
    CHANGE_FIELDS,
    CREATED_EVENTS,
    canonical_field,
    date_entered_stage,
)
from pipereview.ingest._changetimes import parse_timestamps
from pipereview.ingest._dates import DateFormat
from pipereview.ingest._parsing import FALSE_WORDS, TRUE_WORDS

__all__ = ["ChangeRows", "as_written", "history_changes"]

_LONG = ("deal_id", "field", "old_value", "new_value", "changed_at", "source_row")
_SF_USER_ID = re.compile(r"^005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")
_TIME_HINT = (
    "write the moment as the CRM exports it (2026-03-02T09:15:00Z, 2026-03-02 09:15, "
    "3/2/2026 9:15 AM); a report writes dates in the exporting user's locale"
)
_ID_HINT = (
    "every change needs its deal's ID: export the history with the ID column filled "
    "(Salesforce: Opportunity ID; HubSpot: Record ID; Odoo: Related Document ID)"
)
#: the typed value columns of an Odoo tracking value, in the order they are looked at
_ODOO_KINDS: dict[str, tuple[str, ...]] = {
    "amount": ("monetary", "float", "char"),
    "probability": ("float", "monetary", "char"),
    "close_date": ("datetime", "char"),
}


@dataclass
class ChangeRows:
    """What a history export's rows became: the changes (``deal_id``, ``field``,
    ``old_value``, ``new_value``, ``changed_at``, ``source_row``), and the rows
    quarantined (row -> problem) or skipped (row -> reason)."""

    changes: pd.DataFrame
    problems: dict[int, Problem] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


def as_written(series: pd.Series) -> pd.Series:
    """Cells as text the way the export shows them; blank cells ``None``.

    >>> as_written(pd.Series([" Won ", "", None, 5000.0, 0.25])).tolist()
    ['Won', None, None, '5000', '0.25']
    """

    def text(cell: object) -> str | None:
        if cell is None or (isinstance(cell, float) and cell != cell) or cell is pd.NaT:
            return None
        if isinstance(cell, bool):
            return "true" if cell else "false"
        if isinstance(cell, float):
            return str(int(cell)) if cell.is_integer() else repr(cell)
        if isinstance(cell, datetime):
            stamp = pd.Timestamp(cell)
            return stamp.date().isoformat() if stamp == stamp.normalize() else str(stamp)
        return str(cell).strip() or None

    if not pd.api.types.is_object_dtype(series.dtype) and pd.api.types.is_string_dtype(
        series.dtype
    ):  # text only: at once
        stripped = series.str.strip()
        return stripped.astype("object").where(stripped.notna() & (stripped != ""), None)
    return pd.Series([text(c) for c in series.tolist()], index=series.index, dtype="object")


def history_changes(
    name: str,
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    file: str | Path,
    date_format: DateFormat = "iso",
) -> ChangeRows:
    """The changes in ``raw`` (rows of a ``name`` export, indexed by spreadsheet row, the
    blank and footer rows taken out), with ``columns`` as role -> column."""
    out = ChangeRows(pd.DataFrame(columns=list(_LONG)))
    if name == "hubspot_date_entered":
        return _stage_dates(raw, columns, str(file), date_format, out)
    keep, deal, at = _where_and_when(raw, columns, str(file), date_format, out)
    deleted = pd.Series(False, index=raw.index)
    if "is_deleted" in columns:
        flags = as_written(raw[columns["is_deleted"]])
        deleted = flags.map({v: _flag(v) for v in set(flags.dropna())}) == "true"
    for row in raw.index[keep & deleted].tolist():
        out.skipped[row] = "deleted in the CRM (IsDeleted)"
    rows = raw[keep & ~deleted]
    moments = pd.DataFrame({"deal_id": deal, "changed_at": at})[keep & ~deleted]
    if name == "salesforce_opportunity_history":
        return _states(rows, columns, moments, out)
    return _long(name, rows, columns, moments, str(file), out)


def _flag(value: str | None) -> str | None:
    folded = normalize_label(value) if value is not None else None
    return "true" if folded in TRUE_WORDS else "false" if folded in FALSE_WORDS else value


def _where_and_when(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    file: str,
    date_format: DateFormat,
    out: ChangeRows,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The rows with a deal ID and a readable moment (the others quarantined), the deal IDs
    and the moments."""
    deal = as_written(raw[columns["deal_id"]])
    at, bad = parse_timestamps(raw[columns["changed_at"]], date_format)
    cells = as_written(raw[columns["changed_at"]])
    for row in raw.index[deal.isna()].tolist():
        out.problems[row] = Problem(file, row, columns["deal_id"], "a deal ID", "", _ID_HINT)
    for row in raw.index[deal.notna() & (bad | at.isna())].tolist():
        out.problems[row] = Problem(
            file,
            row,
            columns["changed_at"],
            "the date and time of the change",
            cells[row] or "",
            _TIME_HINT,
        )
    return deal.notna() & at.notna() & ~bad, deal, at


def _states(
    rows: pd.DataFrame, columns: Mapping[str, str], moments: pd.DataFrame, out: ChangeRows
) -> ChangeRows:
    """Rows that each hold a deal's state after a change -> the fields that changed."""
    fields = [f for f in CHANGE_FIELDS if f in columns]
    frame = pd.DataFrame({f: as_written(rows[columns[f]]) for f in fields}, index=rows.index)
    frame["deal_id"] = moments["deal_id"]
    frame["changed_at"] = moments["changed_at"]
    frame["record"] = (
        as_written(rows[columns["record_id"]]).fillna("") if "record_id" in columns else ""
    )
    frame["source_row"] = rows.index.to_numpy(dtype="int64")
    frame = frame.sort_values(["deal_id", "changed_at", "record", "source_row"], kind="stable")
    first = frame["deal_id"].ne(frame["deal_id"].shift(1))
    parts = []
    for name in fields:
        now = frame[name]
        before = now.groupby(frame["deal_id"], sort=False).shift(1).astype("object")
        before = before.where(~first, None).where(before.notna(), None)
        changed = (first & now.notna()) | (~first & (now.fillna("\0") != before.fillna("\0")))
        part = frame.loc[changed, ["deal_id", "changed_at", "source_row"]]
        part = part.assign(field=name, old_value=before[changed], new_value=now[changed])
        parts.append(part)
    changes = pd.concat(parts) if parts else pd.DataFrame(columns=list(_LONG))
    for row in set(frame["source_row"].tolist()) - set(changes["source_row"].tolist()):
        out.skipped[int(row)] = "no tracked field changed"
    out.changes = changes[list(_LONG)]
    return out


def _long(
    name: str,
    rows: pd.DataFrame,
    columns: Mapping[str, str],
    moments: pd.DataFrame,
    file: str,
    out: ChangeRows,
) -> ChangeRows:
    """Rows that each hold one field's change."""
    written = as_written(rows[columns["field"]])
    for row in rows.index[written.isna()].tolist():
        out.problems[row] = Problem(
            file,
            row,
            columns["field"],
            "the name of the changed field",
            "",
            "fill the field name, or remove the row",
        )
    fields = written.map(lambda w: canonical_field(w) if w is not None else None)
    skip = pd.Series("", index=rows.index)
    skip[written.notna() & fields.isna()] = written.map(
        lambda w: (
            "created event" if normalize_label(w) in CREATED_EVENTS else f"field not tracked ({w})"
        )
    )
    if "model" in columns:
        model = as_written(rows[columns["model"]]).map(lambda m: normalize_label(m or "crm.lead"))
        skip[(model != "crm.lead") & (skip == "")] = (
            "another kind of record than a lead or opportunity"
        )
    old, new = (
        _odoo_values(rows, columns, fields)
        if name == "odoo_tracking"
        else (
            as_written(rows[columns["old_value"]]) if "old_value" in columns else None,
            as_written(rows[columns["new_value"]]),
        )
    )
    owner_ids = (fields == "owner") & _user_ids(rows, columns, old, new)
    skip[owner_ids & (skip == "")] = "owner written as a user ID (the name row is kept)"
    skipped = (skip != "") & written.notna()
    out.skipped.update(zip(rows.index[skipped].tolist(), skip[skipped].tolist(), strict=True))
    keep = written.notna() & (skip == "")
    changes = pd.DataFrame(
        {
            "deal_id": moments["deal_id"],
            "field": fields,
            "old_value": old if old is not None else None,
            "new_value": new,
            "changed_at": moments["changed_at"],
            "source_row": rows.index.to_numpy(dtype="int64"),
        },
        index=rows.index,
    )[keep]
    flags = changes["field"] == "deleted"
    changes.loc[flags, "new_value"] = changes.loc[flags, "new_value"].map(_flag)
    changes.loc[flags, "old_value"] = changes.loc[flags, "old_value"].map(_flag)
    if old is None:  # a file of new values only: the old value is the one before
        changes = changes.sort_values(
            ["deal_id", "field", "changed_at", "source_row"], kind="stable"
        )
        before = changes.groupby(["deal_id", "field"], sort=False)["new_value"].shift(1)
        changes["old_value"] = before.astype("object").where(before.notna(), None)
    out.changes = changes[list(_LONG)]
    return out


def _odoo_values(
    rows: pd.DataFrame, columns: Mapping[str, str], fields: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Old and new values of Odoo tracking rows from the typed column the field uses (a
    number field: its float or monetary value; a date: the date-time; else the text)."""

    def pick(age: str) -> pd.Series:
        values = pd.Series(None, index=rows.index, dtype="object")
        plain = as_written(rows[columns[f"{age}_value"]]) if f"{age}_value" in columns else None
        for kinds, mask in _odoo_kinds(fields):
            for kind in kinds:
                if f"{age}_{kind}" in columns:
                    cells = as_written(rows[columns[f"{age}_{kind}"]])
                    values = values.where(values.notna() | ~mask, cells)
            if plain is not None:
                values = values.where(values.notna() | ~mask, plain)
        return values

    return pick("old"), pick("new")


def _odoo_kinds(fields: pd.Series) -> list[tuple[tuple[str, ...], pd.Series]]:
    text = ("char", "text")  # a many2one's name; its ID is in the integer column
    known = [(_ODOO_KINDS[f], fields == f) for f in _ODOO_KINDS]
    return [*known, (text, ~fields.isin(list(_ODOO_KINDS)))]


def _user_ids(
    rows: pd.DataFrame, columns: Mapping[str, str], old: pd.Series | None, new: pd.Series
) -> pd.Series:
    """True where an owner change is written as Salesforce user IDs (``DataType``
    ``EntityId``, or both values such IDs), not names."""
    if "data_type" in columns:
        return as_written(rows[columns["data_type"]]).map(
            lambda t: normalize_label(t or "") == "entityid"
        )
    olds = old.tolist() if old is not None else [None] * len(new)
    return pd.Series(
        [
            (n is not None or o is not None)
            and all(v is None or bool(_SF_USER_ID.match(v)) for v in (n, o))
            for n, o in zip(new.tolist(), olds, strict=True)
        ],
        index=new.index,
        dtype=bool,
    )


def _stage_dates(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    file: str,
    date_format: DateFormat,
    out: ChangeRows,
) -> ChangeRows:
    """A deals export's ``Date entered "<stage> (<pipeline>)"`` cells -> stage changes."""
    deal = as_written(raw[columns["deal_id"]])
    for row in raw.index[deal.isna()].tolist():
        out.problems[row] = Problem(file, row, columns["deal_id"], "a deal ID", "", _ID_HINT)
    parts = []
    for header in raw.columns:
        stage = date_entered_stage(str(header))
        if stage is None:
            continue
        at, bad = parse_timestamps(raw[header], date_format)
        cells = as_written(raw[header])
        for row in raw.index[bad & deal.notna()].tolist():
            out.problems.setdefault(
                row,
                Problem(
                    file,
                    row,
                    str(header),
                    "the date the deal entered the stage",
                    cells[row] or "",
                    _TIME_HINT,
                ),
            )
        filled = at.notna() & deal.notna()
        parts.append(
            pd.DataFrame(
                {
                    "deal_id": deal[filled],
                    "field": "stage",
                    "old_value": None,
                    "new_value": stage,
                    "changed_at": at[filled],
                    "source_row": raw.index[filled].to_numpy(dtype="int64"),
                }
            )
        )
    changes = pd.concat(parts) if parts else pd.DataFrame(columns=list(_LONG))
    changes = changes[~changes["source_row"].isin(list(out.problems))]
    for row in set(raw.index.tolist()) - set(changes["source_row"].tolist()) - set(out.problems):
        out.skipped[int(row)] = "no stage dates"
    out.changes = changes[list(_LONG)]
    return out

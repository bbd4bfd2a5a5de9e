"""A companion export (activities, leads, invoices) -> the canonical frame of its kind.

:func:`read_companion` reads an activities, leads or invoices export of Salesforce,
HubSpot, Odoo, Dynamics 365 or a Chinese CRM (纷享销客, 销售易 style), or a generic file in
the canonical column names, like a deals export: CSV (UTF-8, with or without BOM, or
GB18030) or XLSX, title rows above the header skipped, the kind and the CRM told by the
header.

>>> export = read_companion("tests/data/companions/generic_activities.csv")
>>> export.kind, export.crm, export.rows_read, export.rows_used, export.skipped
('activities', 'generic', 4, 3, {'report footer or total row': 1})
>>> export.frame[["activity_type", "owner"]].values.tolist()
[['call', 'Ann Lee'], ['visit', 'Ann Lee'], ['other', 'Bo Chen']]

Every row below the header is used, quarantined (a :class:`Problem` naming the file, the
row, the column, what was expected and what was found) or skipped (blank rows, report
footers and totals), and the counts are checked:
``rows_read == rows_used + rows_quarantined + rows_skipped``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.core._text import normalize_label
from pipereview.ingest._changetimes import guess_date_format
from pipereview.ingest._companionformats import (
    COMPANION_COLUMNS,
    COMPANION_FORMATS,
    COMPANION_KINDS,
    closest_companion_kind,
    companion_columns,
    detect_companion,
)
from pipereview.ingest._companionrows import CompanionRows, companion_rows
from pipereview.ingest._countedexport import CountedExport, count_rows
from pipereview.ingest._dates import DateFormat
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._peek import ExportPeek
from pipereview.ingest._readers import peek_export
from pipereview.ingest._rowcount import read_counted_rows

__all__ = ["CompanionExport", "read_companion"]

_DATES = ("activity_date", "created_date", "converted_date", "invoice_date", "due_date")
_DATED_ROLES = (*_DATES, "paid_date")
#: the optional canonical columns of each kind -> the roles any of which gives it
_OPTIONAL: dict[str, dict[str, tuple[str, ...]]] = {
    "activities": {c: (c,) for c in ("activity_id", "activity_type", "deal_id", "account", "team")},
    "leads": {
        "lead_id": ("lead_id",),
        "lead_source": ("lead_source",),
        "status": ("status", "lifecycle_stage", "lead_type"),
        "converted_date": ("converted_date",),
        "deal_id": ("deal_id",),
        "disqualified": ("status", "disqualified", "disqualified_reason"),
        "disqualified_reason": ("disqualified_reason", "status"),
        "team": ("team",),
    },
    "invoices": {
        **{c: (c,) for c in ("invoice_id", "account", "deal_id", "currency")},
        "paid_amount": ("paid_amount", "outstanding", "payment_status"),
        **{c: (c,) for c in ("paid_date", "owner", "team")},
    },
}
#: the CRMs whose exports write dates month first unless a date says otherwise (en_US)
_MONTH_FIRST = ("salesforce", "hubspot", "odoo", "dynamics")


@dataclass(frozen=True)
class CompanionExport(CountedExport):
    """One companion export in the canonical columns of its kind
    (:data:`COMPANION_COLUMNS`), and how its rows were counted.

    ``crm`` is the format the header was read as (``salesforce``, ``hubspot``, ``odoo``,
    ``dynamics``, ``chinese`` or ``generic``); ``missing`` the optional canonical columns
    the export does not have (a finding that needs one says "not checked: no <column>");
    ``unknown_types`` the activity type words no type knows (read as ``other``), with
    their counts.
    """

    kind: str
    crm: str
    date_format: str = "iso"
    unknown_types: dict[str, int] = field(default_factory=dict)


def read_companion(
    path: str | Path,
    *,
    kind: str | None = None,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> CompanionExport:
    """Read one companion export into a :class:`CompanionExport`.

    ``kind`` is one of :data:`COMPANION_KINDS` (told by the header without it);
    ``column_map`` maps canonical roles (``activity_date``, ``owner``, ``amount`` …) to
    headers no format knows. Raises :class:`InputError` for a header of no known export,
    a missing column (naming the columns found and the ``--map role=header`` fix), or a
    file with no usable row.

    >>> read_companion("tests/data/companions/sf_leads.csv").crm
    'salesforce'
    """
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    if kind is not None and kind not in COMPANION_KINDS:
        raise InputError(
            f"unknown companion export kind {kind!r}: expected one of {', '.join(COMPANION_KINDS)}",
            file=path,
            expected=f"one of {', '.join(COMPANION_KINDS)}",
            hint="name the kind as activities, leads or invoices",
        )
    peek = peek_export(path, known_headers=_known_headers(), encoding=encoding, limits=limits)
    kinds = (kind,) if kind else COMPANION_KINDS
    name, crm = _format(peek, kinds, column_map)
    columns = companion_columns(
        name, crm, peek.header, column_map=column_map, file=path, row=peek.header_row
    )
    peek, raw = read_counted_rows(peek, limits)
    date_format = _date_format(crm, raw, columns)
    return _export(peek, raw, name, crm, columns, date_format)


def _format(
    peek: ExportPeek, kinds: tuple[str, ...], column_map: Mapping[str, str] | None
) -> tuple[str, str]:
    """``(kind, crm)`` of the header; the closest format when a column it needs is missing
    (so that the refusal names it); refused when the header is no companion export."""
    found = detect_companion(peek.header, kinds=kinds, mapped=tuple(column_map or ()))
    found = found or closest_companion_kind(peek.header, kinds=kinds)
    if found is None and len(kinds) == 1:
        found = (kinds[0], "generic")
    if found is not None:
        return found
    raise InputError(
        f"{peek.path}: the header (row {peek.header_row}) is no activities, leads or invoices "
        f"export pipereview knows: found {list(peek.header)}",
        file=peek.path,
        row=peek.header_row,
        expected="the header of an activities, leads or invoices export",
        hint="name the kind (activities, leads or invoices) and map your headers: "
        "--map activity_date=<header> --map owner=<header> … (docs/companion-exports.md)",
    )


def _date_format(crm: str, raw: pd.DataFrame, columns: Mapping[str, str]) -> DateFormat:
    """How the export orders day and month: told by its dates when one has a day over 12,
    else month first for the CRMs' English exports, else ``iso``."""
    default: DateFormat = "mdy" if crm in _MONTH_FIRST else "iso"
    cells = [
        raw[c][raw[c].map(lambda v: isinstance(v, str))].astype("str")
        for role, c in columns.items()
        if role in _DATED_ROLES
    ]
    return guess_date_format(pd.concat(cells) if cells else pd.Series(dtype="str"), default)


def _identity(kind: str, columns: Mapping[str, str]) -> dict[str, str]:
    """The columns that make a row look like a record (for the footer rules)."""
    date = columns[
        {"activities": "activity_date", "leads": "created_date", "invoices": "invoice_date"}[kind]
    ]
    ident = columns.get({"activities": "activity_id", "leads": "lead_id"}.get(kind, "invoice_id"))
    who = columns.get("owner") or columns.get("account") or columns.get("deal_id") or date
    what = columns.get("activity_type") or columns.get("status") or who
    return {"deal_id": ident or date, "deal_name": date, "owner": who, "stage": what}


def _export(
    peek: ExportPeek,
    raw: pd.DataFrame,
    kind: str,
    crm: str,
    columns: Mapping[str, str],
    date_format: DateFormat,
) -> CompanionExport:
    file = str(peek.path)

    def read(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, Problem]]:
        found = companion_rows(kind, rows, columns, file=file, date_format=date_format)
        unknown.update(found.unknown_words)
        return _frame(kind, found, file), found.problems

    unknown: dict[str, int] = {}
    counted = count_rows(
        peek,
        raw,
        _identity(kind, columns),
        read,
        what=f"usable row of {kind}",
        hint="check the report's filters and date range, and that it exports its rows, "
        "not only totals",
    )
    return CompanionExport(
        **counted,
        kind=kind,
        crm=crm,
        missing=tuple(
            c for c, roles in _OPTIONAL[kind].items() if not any(r in columns for r in roles)
        ),
        date_format=date_format,
        unknown_types=unknown,
    )


def _frame(kind: str, rows: CompanionRows, file: str) -> pd.DataFrame:
    """The used rows in the canonical columns and dtypes of ``kind``, in file order."""
    frame = rows.frame.copy()
    frame["source_file"] = file
    frame["source_row"] = frame.index.astype("int64")
    frame = frame.sort_index().reset_index(drop=True)
    for column in COMPANION_COLUMNS[kind]:
        if column in _DATES or column == "paid_date":
            frame[column] = frame[column].astype("datetime64[ns]")
        elif column in ("amount", "paid_amount"):
            frame[column] = frame[column].astype("float64")
        elif column in ("converted", "disqualified"):
            frame[column] = frame[column].astype("boolean")
        elif column != "source_row":
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame[list(COMPANION_COLUMNS[kind])]


@cache
def _known_headers() -> frozenset[str]:
    """Every header a companion format knows (to find the header below report titles)."""
    return frozenset(
        normalize_label(h)
        for crms in COMPANION_FORMATS.values()
        for roles in crms.values()
        for headers in roles.values()
        for h in headers
    )

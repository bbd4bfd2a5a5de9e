"""A companion export's rows -> the canonical frame of its kind, and a :class:`Problem` for
each row that cannot be used (the first found, in the order of the columns it needs).

Values are read with the deals export's parsers: dates by
:func:`~pipereview.ingest._dates.parse_dates`, amounts by
:func:`~pipereview.ingest._parsing.parse_amounts`, yes/no cells by
:func:`~pipereview.ingest._parsing.parse_flags`.

>>> raw = pd.DataFrame({"Date": ["2026-11-02", "soon"], "Assigned": ["Ann", "Bo"],
...                     "Type": ["Call", "Visit"]}, index=[2, 3])
>>> rows = companion_rows("activities", raw, {"activity_date": "Date", "owner": "Assigned",
...                       "activity_type": "Type"}, file="a.csv", date_format="iso")
>>> rows.frame[["activity_type", "owner"]].values.tolist(), sorted(rows.problems)
([['call', 'Ann']], [3])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from pipereview.core._errors import Problem
from pipereview.core._text import normalize_label
from pipereview.ingest._changerows import as_written
from pipereview.ingest._companionwords import (
    activity_types,
    header_activity_type,
    status_outcome,
    status_reason,
    unknown_activity_words,
)
from pipereview.ingest._dates import DateFormat, parse_dates
from pipereview.ingest._formatguess import amount_format
from pipereview.ingest._parsing import parse_amounts, parse_flags

__all__ = ["CompanionRows", "companion_rows"]

#: Odoo payment states (labels and technical values) of an invoice paid in full
_PAID_STATES = frozenset({"paid", "in payment", "in_payment", "已支付", "已回款"})


@dataclass
class CompanionRows:
    """The canonical values of the rows that could be used (indexed by row), a problem per
    row that could not, and the activity type words no type knows (word -> count)."""

    frame: pd.DataFrame
    problems: dict[int, Problem] = field(default_factory=dict)
    unknown_words: dict[str, int] = field(default_factory=dict)


class _Reader:
    """Reads roles of one kind from the raw rows, recording the first problem of a row."""

    def __init__(
        self, raw: pd.DataFrame, columns: Mapping[str, str], file: str, date_format: DateFormat
    ) -> None:
        self.raw, self.columns, self.file, self.date_format = raw, columns, file, date_format
        self.problems: dict[int, Problem] = {}
        cells = [raw[columns[r]] for r in ("amount", "paid_amount", "outstanding") if r in columns]
        joined = pd.concat(cells, ignore_index=True) if cells else pd.Series(dtype="object")
        self.decimal = amount_format(joined.astype("object")).decimal or "."

    def text(self, role: str) -> pd.Series:
        if role not in self.columns:
            return pd.Series(None, index=self.raw.index, dtype="object")
        return as_written(self.raw[self.columns[role]])

    def flag(self, mask: pd.Series, role: str, expected: str, hint: str) -> None:
        """A problem for each row of ``mask`` without one yet, quoting the cell."""
        column = self.columns.get(role, role)
        written = self.text(role)
        for row in mask[mask].index:
            if row not in self.problems:
                got = written[row] or ""
                self.problems[row] = Problem(self.file, int(row), column, expected, got, hint)

    def date(self, role: str, what: str, *, required: bool) -> pd.Series:
        if role not in self.columns:
            return pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[ns]")
        values, bad = parse_dates(self.raw[self.columns[role]], self.date_format)
        if required:
            self.flag(
                values.isna() & ~bad,
                role,
                f"{what} (a date)",
                "fill in the date in the CRM and export again, or leave the row out",
            )
        order = {"dmy": "day first, 31/12/2026", "mdy": "month first, 12/31/2026"}
        self.flag(
            bad,
            role,
            f"{what}: a date such as 2026-11-23 ("
            + order.get(self.date_format, "year first")
            + ", as this file's other dates)",
            "correct the date in the CRM and export again",
        )
        return values.astype("datetime64[ns]")

    def amount(self, role: str, what: str, *, required: bool) -> pd.Series:
        if role not in self.columns:
            return pd.Series(float("nan"), index=self.raw.index, dtype="float64")
        values, bad = parse_amounts(self.raw[self.columns[role]], self.decimal)
        hint = "write the amount as a number (12,000.00 or 1.2万), without words"
        if required:
            self.flag(values.isna() & ~bad, role, f"{what} (an amount)", hint)
        self.flag(bad, role, f"{what}: an amount such as 12,000.00", hint)
        return values.astype("float64")

    def required_text(self, role: str, expected: str, hint: str) -> pd.Series:
        values = self.text(role)
        self.flag(values.isna(), role, expected, hint)
        return values


def companion_rows(
    kind: str,
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    file: str,
    date_format: DateFormat,
) -> CompanionRows:
    """The canonical values of ``raw``'s rows (the rows to read: no blank or footer rows)
    for ``kind``, ``columns`` giving the header of each role."""
    reader = _Reader(raw, columns, file, date_format)
    read = {"activities": _activities, "leads": _leads, "invoices": _invoices}[kind]
    frame, unknown = read(reader)
    frame["team"] = reader.text("team")
    frame = frame.loc[~frame.index.isin(list(reader.problems))]
    return CompanionRows(frame, reader.problems, unknown)


def _activities(reader: _Reader) -> tuple[pd.DataFrame, dict[str, int]]:
    raw_type = reader.text("activity_type")
    date = reader.date("activity_date", "the activity's date", required=True)
    owner = reader.required_text(
        "owner",
        "the rep who did the activity (owner)",
        "assign the activity to a rep in the CRM and export again",
    )
    types = activity_types(raw_type)
    told = (
        None
        if "activity_type" in reader.columns
        else header_activity_type([str(c) for c in reader.raw.columns])
    )
    if told is not None:  # an export of one type (a meetings export) says it in its columns
        types = pd.Series(told, index=raw_type.index, dtype="object")
    frame = pd.DataFrame(
        {
            "activity_id": reader.text("activity_id"),
            "activity_type": types,
            "activity_type_raw": raw_type,
            "activity_date": date,
            "owner": owner,
            "deal_id": reader.text("deal_id"),
            "account": reader.text("account"),
        }
    )
    return frame, unknown_activity_words(raw_type)


def _leads(reader: _Reader) -> tuple[pd.DataFrame, dict[str, int]]:
    created = reader.date("created_date", "the date the lead was created", required=True)
    owner = reader.required_text(
        "owner",
        "the rep who owns the lead (owner)",
        "assign the lead to a rep in the CRM and export again",
    )
    status = reader.text("status")
    stage = reader.text("lifecycle_stage").fillna(reader.text("lead_type"))
    outcome = status.map(status_outcome, na_action="ignore")
    if "converted" in reader.columns:
        converted, bad = parse_flags(reader.raw[reader.columns["converted"]])
        reader.flag(
            bad,
            "converted",
            "whether the lead was converted: yes or no (1/0, true/false, 是/否)",
            "write yes or no (a blank cell reads as no)",
        )
    else:
        converted = (outcome == "converted") | (
            stage.map(status_outcome, na_action="ignore") == "converted"
        )
    reason = reader.text("disqualified_reason")
    disqualified = (outcome == "disqualified") | reason.notna()
    if "disqualified" in reader.columns:
        flagged, bad = parse_flags(reader.raw[reader.columns["disqualified"]])
        reader.flag(bad, "disqualified", "yes or no", "write yes or no (blank reads as no)")
        disqualified |= flagged
    disqualified &= ~converted.astype(bool)
    reason = reason.fillna(status.map(status_reason, na_action="ignore"))
    frame = pd.DataFrame(
        {
            "lead_id": reader.text("lead_id"),
            "created_date": created,
            "owner": owner,
            "lead_source": reader.text("lead_source"),
            "status": status.fillna(stage),
            "converted": converted.astype("boolean"),
            "converted_date": reader.date("converted_date", "the date converted", required=False),
            "deal_id": reader.text("deal_id"),
            "disqualified": disqualified.astype("boolean"),
            "disqualified_reason": reason.where(disqualified, None),
        }
    )
    return frame, {}


def _invoices(reader: _Reader) -> tuple[pd.DataFrame, dict[str, int]]:
    invoiced = reader.date("invoice_date", "the invoice date", required=True)
    due = reader.date("due_date", "the due date", required=True)
    amount = reader.amount("amount", "the invoiced amount", required=True)
    reader.flag(
        amount < 0,
        "amount",
        "an invoiced amount of 0 or more",
        "credit notes and refunds are no invoices: leave them out of the export",
    )
    account, deal = reader.text("account"), reader.text("deal_id")
    reader.flag(
        account.isna() & deal.isna(),
        "account" if "account" in reader.columns else "deal_id",
        "the invoice's customer (account) or deal",
        "fill in the customer or the deal in the finance system and export again",
    )
    reader.flag(
        due < invoiced,
        "due_date",
        "a due date on or after the invoice date",
        "correct the due date or the invoice date",
    )
    frame = pd.DataFrame(
        {
            "invoice_id": reader.text("invoice_id"),
            "account": account,
            "deal_id": deal,
            "invoice_date": invoiced,
            "due_date": due,
            "amount": amount,
            "currency": reader.text("currency"),
            "paid_amount": _paid(reader, amount),
            "paid_date": reader.date("paid_date", "the payment date", required=False),
            "owner": reader.text("owner"),
        }
    )
    return frame, {}


def _paid(reader: _Reader, amount: pd.Series) -> pd.Series:
    """What was paid: the paid column, else the amount less what is still owed, else the
    whole amount when the payment status says paid, else 0.0; NaN (not known) on every
    row when the export has none of these columns (nothing can say an invoice is unpaid)."""
    if "paid_amount" in reader.columns:
        paid = reader.amount("paid_amount", "the amount paid", required=False)
        return paid.fillna(0.0)
    if not {"outstanding", "payment_status"} & set(reader.columns):
        return pd.Series(float("nan"), index=amount.index, dtype="float64")
    status = reader.text("payment_status").map(normalize_label, na_action="ignore")
    by_status = amount.where(status.isin(_PAID_STATES), 0.0).fillna(0.0)
    if "outstanding" in reader.columns:
        owed = reader.amount("outstanding", "the amount still owed", required=False)
        return (amount - owed).round(2).where(owed.notna(), by_status)
    return by_status

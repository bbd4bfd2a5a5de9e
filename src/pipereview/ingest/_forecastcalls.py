"""A file of forecast calls (each rep's weekly call, each manager's call for the team) ->
the canonical FORECAST CALLS frame (:data:`CALL_COLUMNS`).

A calls file is a small CSV (UTF-8 with or without BOM, or GB18030) or XLSX, one row per
submission, its headers in English or Chinese (``Week``/周, ``Period``/期间/季度,
``Team``/团队, ``Rep``/``Owner``/销售/负责人, ``Commit``/承诺, ``Best case``/最佳情况,
``Pipeline``/管道, ``Currency``/币种, ``Submitted``/提交时间, ``Level``/级别). A row without a
rep (or whose level says ``manager``/经理) is the manager's call for the team.

>>> export = read_forecast_calls("tests/data/forecast_calls/calls_en.csv")
>>> export.rows_read, export.rows_used, export.rows_quarantined, export.rows_skipped
(5, 4, 0, 1)
>>> export.frame[["level", "rep", "commit"]].values.tolist()[:2]
[['rep', 'Ann Lee', 80000.0], ['rep', 'Bo Chen', 120000.0]]

Every row below the header is used, quarantined (a :class:`Problem` naming the file, the
row, the column, what was expected and what was found: an amount that is not a number or
below 0, a best case below the commit, ...) or skipped (blank rows, report
footers), and ``rows_read == rows_used + rows_quarantined + rows_skipped`` is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError, InvalidWeekError, Problem
from pipereview.core._text import normalize_label
from pipereview.core._weeks import Week
from pipereview.ingest._changerows import as_written
from pipereview.ingest._changetimes import guess_date_format
from pipereview.ingest._countedexport import CountedExport, count_rows
from pipereview.ingest._dates import parse_dates
from pipereview.ingest._formatguess import amount_format
from pipereview.ingest._limits import DEFAULT_LIMITS, ReadLimits
from pipereview.ingest._parsing import parse_amounts
from pipereview.ingest._peek import ExportPeek
from pipereview.ingest._readers import peek_export
from pipereview.ingest._rowcount import read_counted_rows

__all__ = [
    "CALL_COLUMNS",
    "CALL_HEADERS",
    "CALL_LEVELS",
    "CallsExport",
    "quarter_of_week",
    "read_call_rows",
    "read_forecast_calls",
]

#: The canonical columns of the forecast calls frame, in order.
CALL_COLUMNS: tuple[str, ...] = (
    "week",
    "period",
    "team",
    "level",
    "rep",
    "commit",
    "best_case",
    "pipeline",
    "currency",
    "submitted",
)
#: The headers each role is read from (folded by :func:`normalize_label`).
CALL_HEADERS: dict[str, tuple[str, ...]] = {
    "week": ("week", "forecast week", "call week", "周", "周次", "预测周"),
    "period": ("period", "quarter", "forecast period", "期间", "季度", "预测期间"),
    "team": ("team", "sales team", "团队", "销售团队", "部门"),
    "level": ("level", "call level", "级别", "层级"),
    "rep": ("rep", "owner", "sales rep", "销售", "负责人", "销售代表"),
    "commit": ("commit", "commit amount", "承诺", "承诺金额"),
    "best_case": ("best case", "best_case", "bestcase", "最佳情况"),
    "pipeline": ("pipeline", "管道", "管道金额"),
    "currency": ("currency", "币种", "货币"),
    "submitted": ("submitted", "submitted at", "submitted on", "submission date", "提交时间"),
}
#: The level words (folded) -> the canonical level.
CALL_LEVELS: dict[str, str] = {
    "rep": "rep",
    "sales rep": "rep",
    "销售": "rep",
    "manager": "manager",
    "team": "manager",
    "经理": "manager",
    "团队": "manager",
}
_REQUIRED = ("team", "commit")
_QUARTER_RE = re.compile(r"^(\d{4})\s*-?\s*q([1-4])$")
_AMOUNTS = ("commit", "best_case", "pipeline")
_AMOUNT_HINT = "write the amount as a number (12,000.00 or 1.2万), without words"


@dataclass(frozen=True)
class CallsExport(CountedExport):
    """One calls file in the canonical columns (:data:`CALL_COLUMNS`, then ``source_file``
    and ``source_row``) and how its rows were counted; ``missing``: the optional columns
    the file does not have."""


def read_forecast_calls(
    path: str | Path,
    *,
    week: str | Week | None = None,
    period: str | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> CallsExport:
    """Read one calls file into a :class:`CallsExport`.

    ``week`` is the week of the calls of a file without a week column (and of its rows
    whose week cell is blank); ``period`` the quarter called when the file has no period
    (else the quarter of the row's week). Raises :class:`InputError` for a missing column
    (naming the columns found) or a file with no usable row.

    >>> read_forecast_calls("tests/data/forecast_calls/calls_zh.csv").frame["team"].iloc[0]
    '华东'
    """
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    default_week = None if week is None else Week.parse(str(week))
    known = frozenset(h for headers in CALL_HEADERS.values() for h in headers)
    peek = peek_export(path, known_headers=known, encoding=encoding, limits=limits)
    columns = _columns(peek.header)
    _check_columns(peek, columns, has_week=default_week is not None)
    peek, raw = read_counted_rows(peek, limits)
    identity = {
        "deal_id": columns["team"],
        "deal_name": columns["team"],
        "owner": columns.get("rep", columns["team"]),
        "stage": columns["commit"],
    }

    def read(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, Problem]]:
        calls = _Rows(rows, columns, str(peek.path))
        return calls.read(default_week, period), calls.problems

    counted = count_rows(
        peek,
        raw,
        identity,
        read,
        what="forecast call (a team and a commit amount)",
        hint="fill in each row's team and commit amount and read the file again",
        noun="call",
    )
    return CallsExport(
        **counted,
        missing=tuple(c for c in CALL_HEADERS if c not in columns and c not in _REQUIRED),
    )


def _check_columns(peek: ExportPeek, columns: dict[str, str], *, has_week: bool) -> None:
    """Refuse a header without a team or commit column (or a week column when no week is
    given), naming the columns found and the fix."""
    lacking = [r for r in _REQUIRED if r not in columns]
    if "week" not in columns and not has_week:
        lacking.append("week")
    if lacking:
        raise InputError(
            f"{peek.path}: no {', '.join(lacking)} column in the header (row {peek.header_row}): "
            f"found {list(peek.header)}",
            file=peek.path,
            row=peek.header_row,
            column=lacking[0],
            expected="columns "
            + ", ".join(
                f"{r} ({'/'.join(CALL_HEADERS[r][:1] + CALL_HEADERS[r][-2:])})" for r in lacking
            ),
            hint="name the columns Team, Rep, Commit (团队, 销售, 承诺) and give the week with "
            "--week 2026-W47 when the file has no Week column (docs/forecast.md)",
        )


def _columns(header: tuple[str, ...]) -> dict[str, str]:
    """Role -> the header naming it (the first such header)."""
    found: dict[str, str] = {}
    for number, name in enumerate(header, start=1):
        label = normalize_label(name)
        for role, headers in CALL_HEADERS.items():
            if label in headers and role not in found:
                found[role] = name or f"Unnamed: {number}"
    return found


def read_call_rows(
    raw: pd.DataFrame,
    columns: dict[str, str],
    file: str,
    *,
    week: Week | None = None,
    period: str | None = None,
) -> tuple[pd.DataFrame, dict[int, Problem]]:
    """Rows of call cells (``raw``; ``columns``: each role's header) read by a calls
    file's rules: the calls used, and the first problem of each row set aside, by row
    (``week``, ``period``: as for :func:`read_forecast_calls`)."""
    rows = _Rows(raw, columns, file)
    return rows.read(week, period), rows.problems


def quarter_of_week(week: Week) -> str:
    """The quarter holding an ISO week (by its Thursday).

    >>> quarter_of_week(Week.parse("2026-W53")), quarter_of_week(Week.parse("2027-W01"))
    ('2026-Q4', '2027-Q1')
    """
    thursday = pd.Timestamp(week.monday) + pd.Timedelta(days=3)
    return f"{thursday.year}-Q{(thursday.month - 1) // 3 + 1}"


class _Rows:
    """Reads the call rows, recording the first problem of each row."""

    def __init__(self, raw: pd.DataFrame, columns: dict[str, str], file: str) -> None:
        self.raw, self.columns, self.file = raw, columns, file
        self.problems: dict[int, Problem] = {}
        cells = [raw[columns[r]] for r in _AMOUNTS if r in columns]
        joined = pd.concat(cells, ignore_index=True) if cells else pd.Series(dtype="object")
        self.decimal = amount_format(joined.astype("object")).decimal or "."

    def text(self, role: str) -> pd.Series:
        if role not in self.columns:
            return pd.Series(None, index=self.raw.index, dtype="object")
        return as_written(self.raw[self.columns[role]])

    def flag(self, mask: pd.Series, role: str, expected: str, hint: str) -> None:
        written = self.text(role)
        for row in mask[mask].index:
            if int(row) not in self.problems:
                got = written[row] or ""
                column = self.columns.get(role, role)
                self.problems[int(row)] = Problem(self.file, int(row), column, expected, got, hint)

    def amount(self, role: str, *, required: bool) -> pd.Series:
        if role not in self.columns:
            return pd.Series(float("nan"), index=self.raw.index, dtype="float64")
        values, bad = parse_amounts(self.raw[self.columns[role]], self.decimal)
        what = role.replace("_", " ")
        if required:
            self.flag(values.isna() & ~bad, role, f"the {what} amount", _AMOUNT_HINT)
        self.flag(bad, role, f"the {what}: an amount such as 120,000.00", _AMOUNT_HINT)
        self.flag(values < 0, role, f"the {what}: an amount of 0 or more", _AMOUNT_HINT)
        return values.astype("float64")

    def weeks(self, default: Week | None) -> pd.Series:
        written = self.text("week")
        weeks = pd.Series([_week(w, default) for w in written], index=written.index, dtype="object")
        self.flag(
            weeks.isna(),
            "week",
            "the week of the call, such as 2026-W47 (or a date in it)",
            "write the ISO week as 2026-W47, or give --week for a file without weeks",
        )
        return weeks

    def periods(self, weeks: pd.Series, default: str | None) -> pd.Series:
        written = self.text("period").fillna(default) if default else self.text("period")
        period = written.map(_quarter, na_action="ignore").astype("object")
        self.flag(
            written.notna() & period.isna(),
            "period",
            "the quarter called, such as 2026-Q4",
            "write the period as 2026-Q4 (or leave it blank: the quarter of the week)",
        )
        of_week = weeks.map(lambda w: quarter_of_week(w) if isinstance(w, Week) else None)
        return period.where(written.notna(), of_week).astype("object")

    def levels(self, rep: pd.Series) -> pd.Series:
        written = self.text("level")
        level = written.map(lambda v: CALL_LEVELS.get(normalize_label(v)), na_action="ignore")
        self.flag(
            written.notna() & level.isna(),
            "level",
            "rep or manager (销售 or 经理)",
            "write rep for a rep's own call and manager for the manager's call for the team",
        )
        told = pd.Series(["rep" if r else "manager" for r in rep.notna()], index=rep.index)
        return level.where(written.notna(), told).astype("object")

    def read(self, default_week: Week | None, default_period: str | None) -> pd.DataFrame:
        team = self.text("team")
        self.flag(team.isna(), "team", "the team of the call", "fill in the team of each row")
        commit = self.amount("commit", required=True)
        best, pipeline = (self.amount(r, required=False) for r in _AMOUNTS[1:])
        self.flag(
            best < commit,
            "best_case",
            "the best case: at least the commit (the commit is the part of it most sure)",
            "raise the best case to the commit or more, or lower the commit",
        )
        weeks = self.weeks(default_week)
        period = self.periods(weeks, default_period)
        rep = self.text("rep")
        level = self.levels(rep)
        submitted = pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[ns]")
        if "submitted" in self.columns:
            cells = self.raw[self.columns["submitted"]]
            texts = cells[cells.map(lambda v: isinstance(v, str))].astype("str")
            submitted, bad = parse_dates(cells, guess_date_format(texts, "iso"))
            self.flag(
                bad,
                "submitted",
                "the date the call was submitted, such as 2026-11-16",
                "write the date as 2026-11-16 (or leave it blank)",
            )
        frame = pd.DataFrame(
            {
                "week": weeks.map(str, na_action="ignore"),
                "period": period,
                "team": team,
                "level": level,
                "rep": rep.where(level == "rep", None),
                "commit": commit,
                "best_case": best,
                "pipeline": pipeline,
                "currency": self.text("currency").str.upper(),
                "submitted": submitted.astype("datetime64[ns]"),
                "source_file": self.file,
                "source_row": self.raw.index.astype("int64"),
            },
            index=self.raw.index,
        )
        frame = frame.loc[~frame.index.isin(list(self.problems))].reset_index(drop=True)
        for column in ("week", "period", "team", "level", "rep", "currency"):
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
        return frame


def _quarter(cell: str) -> str | None:
    """``2026-Q4`` for a cell naming a quarter (``2026Q4``, ``2026 q4``), else None."""
    found = _QUARTER_RE.fullmatch(normalize_label(cell))
    return f"{found.group(1)}-Q{found.group(2)}" if found else None


def _week(cell: object, default: Week | None) -> Week | None:
    """The week a cell names (``2026-W47``, or a date in the week); ``default`` when blank."""
    if not isinstance(cell, str):
        return default
    try:
        return Week.parse(cell.strip().upper().replace(" ", ""))
    except InvalidWeekError:
        pass
    day, bad = parse_dates(pd.Series([cell], dtype="object"))
    if bad.iloc[0] or pd.isna(day.iloc[0]):
        return None
    try:
        return Week.of(day.iloc[0].date())
    except InvalidWeekError:
        return None

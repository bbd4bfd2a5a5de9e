"""What the rows of one export become once every check has run: the problems quoted (at
most 1,000, every one counted) and each rejected row's reasons, the quarantine (rejected,
skipped and title rows, each with why), and the canonical snapshot of the rows kept.

Private to :mod:`pipereview.ingest._builder`, which converts the columns and runs the
checks.

>>> raw = pd.DataFrame({"Amount": ["10", "-5"]}, index=[2, 3])
>>> negative = pd.Series([False, True], index=raw.index)
>>> none = pd.Series(False, index=raw.index)
>>> found = collect_rejections("a.csv", raw, {"amount": "Amount"},
...                            [(negative, "amount", "an amount >= 0", "")], (), none, none)
>>> [str(p) for p in found.problems], found.total, found.reasons
(["a.csv, row 3, column 'Amount': expected an amount >= 0, got '-5'."], 1, {3: 'Amount: expected an amount >= 0'})
>>> quarantine_frame(raw, ~found.rejected, found.reasons, pd.Series(dtype="str"), ()).to_dict("records")
[{'row': 3, 'reason': 'Amount: expected an amount >= 0', 'Amount': '-5'}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipereview.core._errors import Problem
from pipereview.core._stages import EVIDENCE_FLAG_FIELDS, EVIDENCE_TEXT_FIELDS
from pipereview.ingest._schema import SNAPSHOT_COLUMNS

__all__ = ["FieldCheck", "Rejections", "collect_rejections", "quarantine_frame", "snapshot_frame"]

#: A failed check of a field: the rows that fail it, the field, what was expected, a hint.
FieldCheck = tuple[pd.Series, str, str, str]
_MAX_PROBLEMS = 1000


class Rejections(NamedTuple):
    """The rows an export's checks reject, and why."""

    problems: list[Problem]  # the first 1,000
    total: int  # every problem, quoted or not
    rejected: pd.Series  # True for a rejected row
    reasons: dict[int, str]  # row -> its reasons, only for the rows rejected


def collect_rejections(
    file: str,
    raw: pd.DataFrame,
    found: Mapping[str, str],
    checks: Iterable[FieldCheck],
    reader_problems: Iterable[Problem],
    skipped: pd.Series,
    long: pd.Series,
) -> Rejections:
    """The problems the reader found in whole rows (each rejects its row) and those of
    ``checks`` (``found``: field -> the export's header), in rows neither ``skipped`` nor
    ``long`` (rejected by the reader already)."""
    index = raw.index
    reasons: dict[int, str] = {}  # row -> reasons, only for the rows rejected
    rejected = pd.Series(False, index=index)
    problems: list[Problem] = []
    total = 0
    reader_problems = tuple(reader_problems)
    for problem in reader_problems:
        if len(problems) < _MAX_PROBLEMS:
            problems.append(problem)
        if problem.row is not None and problem.row in rejected.index:
            column = f"{problem.column}: " if problem.column else ""
            text = f"{column}{problem.got}: expected {problem.expected}"
            reasons[problem.row] = (
                f"{reasons[problem.row]}; {text}" if problem.row in reasons else text
            )
            rejected[problem.row] = True
    total += len(reader_problems)
    for mask, name, expected, hint in checks:
        mask = mask & ~skipped & ~long
        if not mask.any():
            continue
        header = found.get(name, name)
        total += int(mask.sum())
        got = raw[header][mask] if header in raw else pd.Series("", index=index)
        for row, value in got.head(max(0, _MAX_PROBLEMS - len(problems))).items():
            problems.append(
                Problem(
                    file,
                    int(str(row)),
                    header,
                    expected,
                    "" if pd.isna(value) else str(value),
                    hint,
                )
            )
        for row in mask[mask].index:
            text = f"{header}: expected {expected}"
            reasons[row] = f"{reasons[row]}; {text}" if row in reasons else text
        rejected |= mask
    return Rejections(problems, total, rejected, reasons)


def quarantine_frame(
    raw: pd.DataFrame,
    keep: pd.Series,
    reasons: Mapping[int, str],
    skip_reason: pd.Series,
    title_rows: Iterable[tuple[int, tuple[str, ...]]],
) -> pd.DataFrame:
    """The rows not kept, as read, each with its row number and why (``reasons`` for the
    rejected ones, ``skip_reason`` for the skipped ones), after the title rows above the
    header."""
    quarantine = raw[~keep].copy()
    why = pd.Series(reasons, dtype="str").reindex(quarantine.index)
    quarantine.insert(0, "reason", why.fillna(skip_reason.reindex(quarantine.index)))
    quarantine.insert(0, "row", quarantine.index.astype("int64"))
    titles = pd.DataFrame(
        [
            {
                "row": n,
                "reason": "title row above the header (not a deal)"
                if any(c.strip() for c in cells)
                else "blank row above the header",
                **dict(zip(raw.columns, cells, strict=False)),
            }
            for n, cells in title_rows
        ],
        columns=quarantine.columns,
    )
    return (
        pd.concat([titles, quarantine], ignore_index=True)
        if len(titles)
        else quarantine.reset_index(drop=True)
    )


def snapshot_frame(
    out: Mapping[str, pd.Series], keep: pd.Series, *, week: str, stage_model: str, source_file: str
) -> pd.DataFrame:
    """The canonical snapshot of the rows ``keep``: the converted columns ``out``, blank
    columns for the optional fields the export lacks (none for ``loss_reason``,
    ``product_line``, ``account_potential`` and the evidence fields: missing), where each
    row came from."""
    n = int(keep.sum())
    everything = n == len(keep)

    def kept(values: pd.Series) -> pd.Series:
        return (values if everything else values[keep]).reset_index(drop=True)

    columns: dict[str, pd.Series] = {}
    for name in SNAPSHOT_COLUMNS:
        if name in ("snapshot_week", "stage_model"):
            value = week if name == "snapshot_week" else stage_model
            columns[name] = _constant(value, n)
        elif name in out:
            columns[name] = kept(out[name])
        elif name in ("probability",):
            columns[name] = pd.Series(np.nan, index=range(n), dtype="float64")
        elif name == "last_activity_date":
            columns[name] = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
        else:
            columns[name] = pd.Series(None, index=range(n), dtype="str")
    for name in ("loss_reason", "product_line", "account_potential"):
        if name in out:  # only where the export has it: blank would read as "not given"
            columns[name] = kept(out[name])
    for name in EVIDENCE_FLAG_FIELDS:
        if name in out:  # nullable: a week may mix exports with and without it
            columns[name] = kept(out[name]).astype("boolean")
    for name in EVIDENCE_TEXT_FIELDS:
        if name in out:
            columns[name] = kept(out[name])
    columns["account_missing"] = columns["account"].isna()
    columns["source_file"] = _constant(source_file, n)
    columns["source_row"] = pd.Series(keep[keep].index.to_numpy(dtype="int64"))
    return pd.DataFrame(columns)


def _constant(value: str, n: int) -> pd.Series:
    """A text column of ``n`` equal values (built by index, far faster than from a list)."""
    return pd.Series([value], dtype="str").iloc[np.zeros(n, dtype=np.intp)].reset_index(drop=True)

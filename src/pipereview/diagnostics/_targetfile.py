"""A targets file read at the edge: every row checked, every problem named by file, row
and column (:func:`load_targets`); the optional ``capacity`` column gives a rep's
capacity for splitting a team target (:mod:`pipereview.diagnostics._repsplit`).

>>> TARGET_COLUMNS
('team', 'owner', 'period', 'amount', 'currency')
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError, Problem

__all__ = ["TARGET_COLUMNS", "load_targets"]

#: Columns of a targets file; ``owner`` blank means the team's total. An optional
#: ``capacity`` column (0 to 1, or blank) gives a rep's capacity (1 = a full rep).
TARGET_COLUMNS: tuple[str, ...] = ("team", "owner", "period", "amount", "currency")
_PERIOD_RE = re.compile(r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?")


def load_targets(path: str | Path) -> pd.DataFrame:
    """Read a targets CSV (columns :data:`TARGET_COLUMNS`, optionally ``capacity``),
    checking every row; raise one :class:`InputError` listing each problem by file, row
    and column. ``capacity`` is read as a number (NaN where blank); a rep's row with a
    capacity may leave ``amount`` blank (no given target: NaN).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            f"cannot read targets file {path}: {exc}",
            file=path,
            hint="a UTF-8 CSV with columns " + ", ".join(TARGET_COLUMNS),
        ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in TARGET_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"{path.name}: missing column(s) {missing}",
            file=path,
            column=missing[0],
            expected=", ".join(TARGET_COLUMNS),
            hint="add the missing column(s) to the targets file (docs/formats.md lists them)",
        )
    optional = ["capacity"] if "capacity" in raw.columns else []
    frame = raw[[*TARGET_COLUMNS, *optional]].apply(lambda c: c.str.strip())
    amount = pd.to_numeric(frame["amount"].str.replace(",", ""), errors="coerce")
    capacity, blank = _capacity(frame)
    rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)  # header is row 1
    checks = [
        ("team", frame["team"] == "", "a team name"),
        (
            "period",
            ~frame["period"].str.fullmatch(_PERIOD_RE),
            "a period: 2026, 2026-Q4 or 2026-11",
        ),
        (
            "amount",
            (amount.isna() & (blank | (frame["owner"] == "") | (frame["amount"] != "")))
            | (amount < 0),
            "an amount >= 0" + (" (blank only on a rep's row with a capacity)" * bool(optional)),
        ),
        (
            "currency",
            ~frame["currency"].str.fullmatch(r"([A-Z]{3})?"),
            "an ISO currency code such as USD, or blank",
        ),
        (
            "capacity",
            ~blank & ~capacity.between(0, 1),
            "a capacity between 0 and 1 (1 = a full rep), or blank",
        ),
        (
            "owner",
            frame.duplicated(["team", "owner", "period"], keep="first"),
            "one target per team, owner and period",
        ),
    ]
    problems = tuple(
        Problem(str(path), int(rows[i]), column, expected, str(frame.at[i, column]))
        for column, bad, expected in checks
        for i in frame.index[bad]
    )
    if problems:
        problems = tuple(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
        raise InputError(
            f"{path.name}: {len(problems)} problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems[:50]),
            file=path,
            row=problems[0].row,
            column=problems[0].column,
            expected=problems[0].expected,
            problems=problems,
            hint="fix the rows listed; owner blank means the team's total",
        )
    out: pd.DataFrame = frame.assign(amount=amount.astype(float))
    if optional:
        out["capacity"] = capacity.where(~blank).astype(float)
    return out


def _capacity(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The ``capacity`` column as numbers, and where it is blank (everywhere without it)."""
    text = frame["capacity"] if "capacity" in frame else pd.Series("", frame.index)
    return pd.to_numeric(text, errors="coerce"), text == ""

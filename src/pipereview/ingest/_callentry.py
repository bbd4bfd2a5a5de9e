"""One forecast call entered by hand (the dashboard's form) -> the same one-row
:class:`~pipereview.ingest._forecastcalls.CallsExport` a calls file gives, read by the
calls file's own rules: each amount a number of 0 or more (``80,000``, ``8万``), the
commit required, the best case at least the commit; the rep one of the team's reps, or
none for the manager's call for the team. A refused entry raises :class:`InputError`
saying what was expected, what was written and the fix; nothing is half-read.

>>> export = entered_call("North", "Ann Lee", "80,000", "95000", week="2026-W47",
...     reps=["Ann Lee", "Bo Chen"], entered="2026-11-18 09:30")
>>> export.frame[["week", "period", "level", "rep", "commit", "best_case"]].values.tolist()
[['2026-W47', '2026-Q4', 'rep', 'Ann Lee', 80000.0, 95000.0]]
>>> str(export.source), export.frame["submitted"].iloc[0]
('entered in the dashboard', Timestamp('2026-11-18 09:30:00'))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.ingest._forecastcalls import CallsExport, read_call_rows

__all__ = ["ENTERED", "entered_call"]

#: Where an entered call is recorded as coming from (its ``source_file``).
ENTERED = "entered in the dashboard"
_HEADERS = {
    "team": "Team",
    "rep": "Rep",
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "currency": "Currency",
}


def entered_call(
    team: str,
    rep: str,
    commit: str | float,
    best_case: str | float = "",
    pipeline: str | float = "",
    *,
    week: str | Week,
    reps: Sequence[str],
    currency: str | None = None,
    entered: str | datetime | pd.Timestamp | None = None,
) -> CallsExport:
    """The call of ``rep`` (``""``: the manager's call for ``team``) for ``week``, its
    amounts as written (blank best case or pipeline: none given), read as a calls file's
    row is; ``reps``: the team's reps, one of which ``rep`` must be; ``entered``: when it
    was entered (default: now, to the second), stored as its submission time."""
    if rep and rep not in reps:
        raise InputError(
            f"{rep!r} is not a rep of {team}",
            column="Rep",
            expected=f"one of {', '.join(reps) or 'no rep'}, or the team line",
            hint="choose a rep of the team, or the team line for the manager's call",
        )
    values: dict[str, object] = {"team": team, "rep": rep, "commit": commit}
    values |= {"best_case": best_case, "pipeline": pipeline, "currency": currency}
    raw = pd.DataFrame(
        {_HEADERS[k]: pd.Series([_cell(v)], index=[1], dtype="object") for k, v in values.items()}
    )
    frame, problems = read_call_rows(raw, dict(_HEADERS), ENTERED, week=Week.parse(str(week)))
    if problems:
        problem = problems[1]
        got = f", got {problem.got!r}" if problem.got else ""
        raise InputError(
            f"{problem.column}: expected {problem.expected}{got}",
            column=problem.column,
            expected=problem.expected,
            hint=problem.hint,
        )
    when = pd.Timestamp(entered if entered is not None else datetime.now()).floor("s")
    frame["submitted"] = pd.Series([when.tz_localize(None)], dtype="datetime64[ns]")
    return CallsExport(
        frame=frame,
        rows_read=1,
        rows_used=1,
        rows_quarantined=0,
        rows_skipped=0,
        problems=(),
        skipped={},
        source=Path(ENTERED),
        missing=(),
    )


def _cell(value: object) -> object:
    """A form's value as a file's cell: blank text is an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value

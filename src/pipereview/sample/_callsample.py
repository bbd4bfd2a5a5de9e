"""The sample's forecast calls: each rep's weekly commit for the quarter and each manager's
call for the team, with planted biases, written to ``forecast_calls/<week>.csv``.

A rep's call is their truth (what the simulation has them win in the quarter; for the
quarter still running, won to date plus the open amount due in it weighted by its
probability) times their bias and a little noise. Planted, in the first team
(``North``): its second rep sandbags (calls about 0.75 of what they win), its seventh
over-calls (about 1.35), its fourth stops calling three weeks before the last week (a
stale call); every other rep calls within about 5% of the truth, and a rep misses a week
now and then. The two-year sample writes every week's calls; the one-year sample the last
week's.

>>> CALL_BIASES["North"]
{1: 0.75, 6: 1.35}
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.ingest._forecastcalls import quarter_of_week
from pipereview.sample._companionreadme import with_section
from pipereview.sample._simulate import TeamRun
from pipereview.sample._writers import write_csv

__all__ = ["CALLS_FOLDER", "CALL_BIASES", "calls_readme", "write_forecast_calls"]

#: Where a sample set's forecast calls go, beside ``exports/``.
CALLS_FOLDER = "forecast_calls"
#: The planted biases: team -> {index of the rep in the team's reps: call / won}.
CALL_BIASES: dict[str, dict[int, float]] = {"North": {1: 0.75, 6: 1.35}}
#: The team and rep (index) who stops calling, and the weeks before the last they stop.
_STALE = ("North", 3, 3)
_NOISE = 0.03  # the spread of a call around the rep's truth times bias (lognormal sigma)
_SKIP = 0.05  # the chance a rep misses a week's call
_NEAR = 0.05  # the other reps' bias: uniform within this of 1
_SECTION = "## Forecast calls"
_HEADER = ("Week", "Period", "Team", "Level", "Rep", "Commit", "Best case", "Currency", "Submitted")


def write_forecast_calls(
    samples: Path, runs: Sequence[TeamRun], weeks: Sequence[Week], *, seed: int, years: int
) -> list[Path]:
    """Write the calls of every week (``years=2``) or of the last week (``years=1``) to
    ``samples/forecast_calls/<week>.csv``; the README in ``samples`` gains its section."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(24,)))
    last = weeks[-1]
    truth = {run.spec.name: _truth(run, weeks) for run in runs}
    biases = {run.spec.name: _biases(run, rng) for run in runs}
    folder = Path(samples) / CALLS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for week in weeks if years > 1 else weeks[-1:]:
        rows = [
            row
            for run in runs
            for row in _team_calls(
                run, week, last, truth[run.spec.name], biases[run.spec.name], rng
            )
        ]
        table = {column: [row[column] for row in rows] for column in _HEADER}
        paths.append(write_csv(table, folder / f"{week}.csv", "utf-8"))
    readme = Path(samples) / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        readme.write_bytes(with_section(text, calls_readme(runs)).encode("utf-8"))
    return paths


def calls_readme(runs: Sequence[TeamRun]) -> list[str]:
    """The README section on the calls and their planted biases."""
    lines = [
        _SECTION,
        "",
        "`forecast_calls/<week>.csv` (`pipereview calls`): each rep's commit for the quarter "
        "and the manager's call for the team (a row without a rep), the rep's truth (what "
        "they win in the quarter) times a bias and about 3% noise. Planted:",
        "",
    ]
    for run in runs:
        for index, bias in CALL_BIASES.get(run.spec.name, {}).items():
            verdict = "sandbagging" if bias < 1 else "over-calling"
            lines.append(
                f"- {run.spec.name}: {run.spec.reps[index]} calls about {bias:.2f} of what "
                f"they win ({verdict})"
            )
        if run.spec.name == _STALE[0]:
            lines.append(
                f"- {run.spec.name}: {run.spec.reps[_STALE[1]]} stops calling {_STALE[2]} "
                "weeks before the last week (a stale call)"
            )
    lines.append(
        f"- every other rep calls within {_NEAR:.0%} of what they win; a rep misses "
        f"about {_SKIP:.0%} of the weeks"
    )
    return lines


def _truth(run: TeamRun, weeks: Sequence[Week]) -> dict[tuple[str, str], float]:
    """(rep, quarter) -> what the rep wins in the quarter: the amount won with a close date
    in it, as the export of the first week after it shows (the last week's for the quarter
    still running, plus its open amount due in the quarter times its probability)."""
    last = weeks[-1]
    quarters = sorted({quarter_of_week(w) for w in weeks})
    after = {q: next((w for w in weeks if quarter_of_week(w) > q), last) for q in quarters}
    out: dict[tuple[str, str], float] = {}
    for period in quarters:
        frame = run.frames[str(after[period])]
        close = pd.to_datetime(frame["close_date"])
        first, end = period_bounds(period)
        inside = close.between(first, end)
        won = inside & (frame["stage"] == run.process.won)
        value = frame["amount"].where(won, 0.0)
        kept = won
        if after[period] == last and quarter_of_week(last) == period:
            due = inside & run.process.is_open(frame["stage"]) & close.ge(pd.Timestamp(last.monday))
            value = value + (frame["amount"] * frame["probability"]).where(due, 0.0)
            kept = won | due
        for rep, amount in value[kept].groupby(frame.loc[kept, "owner"]).sum().items():
            out[(str(rep), period)] = float(amount)
    return out


def _biases(run: TeamRun, rng: np.random.Generator) -> dict[str, float]:
    planted = CALL_BIASES.get(run.spec.name, {})
    out = {}
    for index, rep in enumerate(run.spec.reps):
        near = float(rng.uniform(1 - _NEAR, 1 + _NEAR))
        out[rep] = planted.get(index, near)
    out[""] = float(rng.uniform(1 - _NEAR, 1 + _NEAR))  # the manager
    return out


def _team_calls(
    run: TeamRun,
    week: Week,
    last: Week,
    truth: dict[tuple[str, str], float],
    biases: dict[str, float],
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    period = quarter_of_week(week)
    spec = run.spec
    rows = []
    for index, rep in enumerate(spec.reps):
        skip = rng.random() < _SKIP
        stale = spec.name == _STALE[0] and index == _STALE[1] and week > last - _STALE[2]
        if skip or stale or (rep, period) not in truth:  # a rep with no deal of the quarter
            continue
        commit = truth[(rep, period)] * biases[rep] * float(rng.lognormal(0, _NOISE))
        rows.append(_row(week, period, spec.name, rep, commit, spec.currency, rng))
    team_truth = sum(truth.get((rep, period), 0.0) for rep in spec.reps)
    commit = team_truth * biases[""] * float(rng.lognormal(0, _NOISE))
    rows.append(_row(week, period, spec.name, "", commit, spec.currency, rng))
    return rows


def _row(
    week: Week,
    period: str,
    team: str,
    rep: str,
    commit: float,
    currency: str,
    rng: np.random.Generator,
) -> dict[str, object]:
    submitted = week.monday + datetime.timedelta(days=int(rng.integers(0, 3)))
    return {
        "Week": str(week),
        "Period": period,
        "Team": team,
        "Level": "rep" if rep else "manager",
        "Rep": rep,
        "Commit": round(commit, -2),
        "Best case": round(commit * 1.2, -2),
        "Currency": currency,
        "Submitted": submitted.isoformat(),
    }

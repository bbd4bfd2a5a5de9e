"""Generated sales organisations whose truth is known, for the forecast benchmark.

Each team's reps open deals every week (Poisson, a few a week each); a deal climbs the
generic four-step model (initial_contact, needs_confirmed, solution_quote, negotiation),
moving on from each stage with a TRUE probability lower than the stage's configured one
(from negotiation 0.6 of deals are won, configured 0.75; from solution_quote 0.3,
configured 0.5; ...), a stage lasting 1 to 4 weeks. A rep sets a close date 6 to 14
weeks out and pushes it 2 to 6 weeks when it passes with the deal still open; a won or
lost deal closes on the Friday of its week and stays in the export 4 more weeks. A
fifth of the deals are quick (they start at solution_quote, due in 2 to 5 weeks): the
quarter's inflow. Each rep calls, every week, the quarter's won to date plus commit
plus half of best case times the rep's planted bias (0.7 sandbagging to 1.4
over-calling). Teams differ in size and deal size. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core import week_range
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.forecasting import quarter_weeks

STAGES = ("initial_contact", "needs_confirmed", "solution_quote", "negotiation")
#: The true chance of moving on from each stage (the last: of being won).
TRUE_MOVE_ON = (0.45, 0.5, 0.6, 0.6)
_CATEGORY = {"negotiation": "commit", "solution_quote": "best_case"}
#: New deals a rep opens a week (Poisson mean); the share of them that are quick.
NEW_PER_WEEK = 2.0
QUICK_SHARE = 0.2
#: The months' factors on new deals when ``seasons`` is set: slow in January-February
#: and August, strong at quarter ends.
SEASONS = (0.6, 0.5, 1.3, 0.9, 1.0, 1.3, 0.8, 0.4, 1.3, 0.9, 1.1, 1.6)
#: The call biases planted on reps (a call = this x what the rep sees).
BIASES = (0.7, 0.85, 1.0, 1.2, 1.4)


@dataclass(frozen=True)
class Organisation:
    """The generated history (stacked weekly snapshots) and calls (canonical shape)."""

    history: pd.DataFrame
    calls: pd.DataFrame
    biases: dict[tuple[str, str], float]


def _path(
    rng: np.random.Generator, created: int, quick: bool
) -> tuple[list[tuple[int, int]], int, str]:
    """A deal's (stage, first week) steps, the week it ends and how (won or lost)."""
    stage, week, steps = (2 if quick else 0), created, []
    while True:
        steps.append((stage, week))
        week += int(rng.integers(1, 5))
        if rng.random() >= TRUE_MOVE_ON[stage]:
            return steps, week, "lost"
        stage += 1
        if stage == len(STAGES):
            return steps, week, "won"


def _rows(
    rng: np.random.Generator, team: str, rep: str, created: int, n_weeks: int, scale: float
) -> list[tuple[int, str, str, float, int, int]]:
    """One deal's rows: (week index, deal id, stage, amount, close week index, created)."""
    quick = bool(rng.random() < QUICK_SHARE)
    steps, end, outcome = _path(rng, created, quick)
    amount = float(np.round(rng.lognormal(np.log(scale), 0.6), -2))
    close = created + int(rng.integers(2, 6) if quick else rng.integers(6, 15))
    deal = f"{rep}-{created}-{int(rng.integers(1_000_000))}"
    rows = []
    for week in range(created, min(end + 5, n_weeks)):
        if week < end:
            while close < week:
                close += int(rng.integers(2, 7))  # pushed when the date passes
            stage = STAGES[[s for s, first in steps if first <= week][-1]]
            rows.append((week, deal, stage, amount, close, created))
        else:
            rows.append((week, deal, outcome, amount, end, created))
    return rows


def generate(
    *,
    seed: int = 7,
    quarters: int = 8,
    teams: tuple[int, ...] = (3, 5, 8),
    seasons: bool = False,
) -> Organisation:
    """An organisation of ``len(teams)`` teams (``teams[i]`` reps each) over ``quarters``
    quarters from 2024-Q4, after a 13-week run-in: the weekly history and the calls.
    ``seasons``: new deals follow the months (:data:`SEASONS`)."""
    rng = np.random.default_rng(seed)
    last_index = 2024 * 4 + 3 + quarters - 1
    last_q = f"{last_index // 4}-Q{last_index % 4 + 1}"
    weeks = list(week_range(quarter_weeks("2024-Q4")[0] - 13, quarter_weeks(last_q)[-1]))
    friday = pd.Timestamp(weeks[0].friday)
    month = [pd.Timestamp(w.friday).month for w in weeks]
    rate = [NEW_PER_WEEK * (SEASONS[m - 1] if seasons else 1.0) for m in month]
    rows, biases = [], {}
    for t, reps in enumerate(teams):
        team = f"Team{t + 1}"
        for r in range(reps):
            rep = f"{team}-rep{r + 1}"
            biases[(team, rep)] = float(rng.choice(BIASES))
            for created in range(len(weeks)):
                for _ in range(int(rng.poisson(rate[created]))):
                    rows += [
                        (team, rep, *row)
                        for row in _rows(rng, team, rep, created, len(weeks), 10_000.0 * (1 + t))
                    ]
    frame = pd.DataFrame(
        rows, columns=["team", "owner", "week", "deal_id", "stage", "amount", "close", "created"]
    )
    names = np.asarray([str(w) for w in weeks], dtype=object)
    history = pd.DataFrame(
        {
            "snapshot_week": names[frame["week"].to_numpy()],
            "team": frame["team"],
            "deal_id": frame["deal_id"],
            "deal_name": frame["deal_id"],
            "account": frame["deal_id"],
            "owner": frame["owner"],
            "stage": frame["stage"],
            "stage_model": "generic_4",
            "amount": frame["amount"],
            "currency": "USD",
            "close_date": friday + pd.to_timedelta(frame["close"] * 7, unit="D"),
            "created_date": friday + pd.to_timedelta(frame["created"] * 7 - 4, unit="D"),
            "probability": np.nan,
            "forecast_category": frame["stage"].map(_CATEGORY).fillna("pipeline"),
        }
    )
    history.loc[history["stage"].isin(["won", "lost"]), "forecast_category"] = "closed"
    history = history.sort_values(["snapshot_week", "team", "deal_id"], kind="stable")
    history = history.reset_index(drop=True)
    return Organisation(history, _calls(history, biases), biases)


def _calls(history: pd.DataFrame, biases: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Each rep's call each week for the week's quarter: (won to date + commit + half of
    best case, all due in the quarter) x the rep's bias."""
    weeks = history["snapshot_week"].unique()
    quarter = {w: quarter_of(w) for w in weeks}
    h = history.assign(quarter=history["snapshot_week"].map(quarter))
    close_q = h["close_date"].dt.year.astype(str) + "-Q" + h["close_date"].dt.quarter.astype(str)
    h = h[close_q == h["quarter"]]
    weight = np.select(
        [h["stage"] == "won", h["stage"] == "negotiation", h["stage"] == "solution_quote"],
        [1.0, 1.0, 0.5],
        0.0,
    )
    h = h.assign(called=h["amount"] * weight)
    out = h.groupby(["snapshot_week", "quarter", "team", "owner"], as_index=False)["called"].sum()
    bias = [biases[(t, o)] for t, o in zip(out["team"], out["owner"], strict=True)]
    return pd.DataFrame(
        {
            "week": out["snapshot_week"],
            "period": out["quarter"],
            "team": out["team"],
            "level": "rep",
            "rep": out["owner"],
            "commit": out["called"] * np.asarray(bias),
            "best_case": np.nan,
            "pipeline": np.nan,
            "currency": "USD",
            "submitted": pd.NaT,
        }
    )

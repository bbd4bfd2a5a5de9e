"""The backtest of the forecast methods: for each closed quarter of the history and each
stored week of it, what each method (:data:`~pipereview.forecasting._forecastmethods.FORECAST_METHODS`)
said using only the rows up to that week (:meth:`~pipereview.history.PreparedHistory.upto`;
what a method learns from past quarters it learns from the weeks before the quarter),
against the quarter's actual won; then each method's measured error and the method to
trust per team.

- ``error`` = forecast - actual; ``pct_error`` = error / actual (above 0: the method
  over-forecast); ``abs_pct_error`` its size (NaN when the actual is 0);
- MAPE: the mean of ``abs_pct_error``; bias: the mean of ``pct_error``;
- the recommended method of a team: the lowest MAPE over the weeks around
  ``recommend_week`` among the methods measured on at least ``min_quarters`` closed
  quarters, else ``not enough history: N closed quarters, needs at least M``.

>>> rows = [("2026-W14", "A", "negotiation", "2026-06-20"), ("2026-W26", "A", "won", "2026-06-20"),
...         ("2026-W27", "B", "negotiation", "2026-09-20"), ("2026-W39", "B", "won", "2026-09-20")]
>>> h = pd.DataFrame([{"snapshot_week": w, "team": "N", "deal_id": d, "owner": "Ann",
...     "stage": s, "stage_model": "generic_4", "amount": 100.0, "currency": "USD",
...     "close_date": pd.Timestamp(c), "created_date": pd.Timestamp("2026-03-01"),
...     "probability": None, "forecast_category": "commit"} for w, d, s, c in rows])
>>> b = backtest(h, settings=BacktestSettings(min_cell_deals=1))
>>> b.pivot(index="week", columns="method", values="forecast")[  # doctest: +NORMALIZE_WHITESPACE
...     ["weighted_pipeline", "historical_conversion", "naive_pace"]]
method    weighted_pipeline  historical_conversion  naive_pace
week
2026-W27               75.0                  100.0         0.0
2026-W39              100.0                  100.0       100.0
>>> recommended_method(backtest_summary(b))["note"].tolist()
['not enough history: 1 closed quarters, needs at least 2']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._errors import ConfigError
from pipereview.diagnostics._forecast import won_deals
from pipereview.forecasting._forecastlearning import closed_quarters, learn_quarter
from pipereview.forecasting._forecastmethods import (
    BASELINES,
    FORECAST_METHODS,
    quarter_forecasts,
)
from pipereview.forecasting._quarterweeks import quarter_weeks
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "BACKTEST_COLUMNS",
    "BacktestSettings",
    "backtest",
    "backtest_summary",
    "recommended_method",
    "why_not_recommended",
]

#: The columns of :func:`backtest`'s frame.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "team",
    "quarter",
    "week_of_quarter",
    "week",
    "method",
    "forecast",
    "actual",
    "error",
    "pct_error",
    "abs_pct_error",
    "note",
)


#: The most weeks a quarter has (:func:`~pipereview.forecasting._quarterweeks.quarter_weeks`).
_MOST_WEEKS = 14


@dataclass(frozen=True)
class BacktestSettings:
    """Settings of the backtest (configuration section ``backtest``).

    ``min_quarters`` (2): a method measured on fewer closed quarters is never
    recommended. ``recommend_week`` (6): the week of the quarter the recommendation is
    judged at, with ``week_window`` (1) weeks either side (weeks 5 to 7).
    ``min_cell_deals`` (5): historical conversion uses a stage's share won at one week of
    the quarter only when at least this many deals made it, else the stage's over all
    weeks (else the stage's configured probability).
    """

    min_quarters: int = 2
    recommend_week: int = 6
    week_window: int = 1
    min_cell_deals: int = 5

    def __post_init__(self) -> None:
        if self.min_quarters < 1 or self.min_cell_deals < 1:
            raise ConfigError(
                f"min_quarters and min_cell_deals must be at least 1, got "
                f"{self.min_quarters} and {self.min_cell_deals}",
                hint="set backtest.min_quarters and backtest.min_cell_deals to whole numbers >= 1",
            )
        if not 1 <= self.recommend_week <= _MOST_WEEKS or self.week_window < 0:
            raise ConfigError(
                f"recommend_week must be a week of a quarter (1 to 14) and week_window "
                f"at least 0, got {self.recommend_week} and {self.week_window}",
                hint="set backtest.recommend_week to 1..14 (6: mid-quarter) and "
                "backtest.week_window to 0 or more",
            )


def backtest(
    history: pd.DataFrame | PreparedHistory,
    *,
    calls: pd.DataFrame | None = None,
    teams: Sequence[str] | None = None,
    settings: BacktestSettings | None = None,
) -> pd.DataFrame:
    """Every method's forecast at every stored week of every closed quarter, against the
    quarter's actual won (deals won with a close date in it, as the whole history says):
    :data:`BACKTEST_COLUMNS`, one row per team, quarter, week and method. ``teams``:
    only these (all when None). The first closed quarter of the history is left out:
    the methods that learn from past quarters have none, and every method is judged on
    the same quarters. So is a team's quarter with no closed quarter before it from the
    team's record start on (:func:`~pipereview.forecasting._forecastlearning.record_starts`:
    the quarters before the team's first deal won or lost teach nothing)."""
    settings = settings or BacktestSettings()
    prep = as_prepared(history)
    if teams is not None:
        prep = prep.take(prep.frame["team"].isin(list(teams)).to_numpy())
    parts = []
    for quarter in closed_quarters(prep):
        won = won_deals(prep, quarter, prep.weeks[-1])
        actual = won.groupby("team")["amount"].sum().rename("actual")
        learning = learn_quarter(prep, quarter, calls=calls)
        if not learning.quarters:  # nothing to learn from: no method is judged on it
            continue
        stored = set(prep.weeks)
        weeks = [w for w in quarter_weeks(quarter) if str(w) in stored]
        said = quarter_forecasts(
            prep, weeks, calls=calls, learning=learning, min_cell_deals=settings.min_cell_deals
        )
        # a team is judged once its record of outcomes has a closed quarter to learn from
        said = said[said["team"].isin(learning.teams)]
        parts.append(said.join(actual, on="team"))
    if not parts:
        return pd.DataFrame({c: [] for c in BACKTEST_COLUMNS})
    out = pd.concat(parts, ignore_index=True).fillna({"actual": 0.0})
    out["error"] = out["forecast"] - out["actual"]
    out["pct_error"] = out["error"] / out["actual"].where(out["actual"] > 0)
    out["abs_pct_error"] = out["pct_error"].abs()
    return out[list(BACKTEST_COLUMNS)].reset_index(drop=True)


def backtest_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per team and method (in :data:`FORECAST_METHODS` order): ``quarters`` measured,
    ``forecasts``, ``mape`` and ``bias``, over every week (``week_of_quarter`` <NA>)
    and per week of the quarter, and ``judged``: the team's closed quarters in the
    backtest. A forecast is measured when the method gave one and the quarter won
    something (an error in % of nothing has no size): a method that forecast but was
    never measured has one row, over every week, with ``quarters`` 0 and no MAPE; one
    that never forecast (not available) has none.

    >>> b = pd.DataFrame({"team": "N", "quarter": ["2026-Q2", "2026-Q3"],
    ...     "week_of_quarter": 6, "method": "naive_pace", "forecast": [90.0, 240.0],
    ...     "actual": [100.0, 200.0], "pct_error": [-0.1, 0.2], "abs_pct_error": [0.1, 0.2]})
    >>> backtest_summary(b)[["week_of_quarter", "quarters", "mape", "bias", "judged"]].round(2)
       week_of_quarter  quarters  mape  bias  judged
    0             <NA>         2  0.15  0.05       2
    1                6         2  0.15  0.05       2
    """
    frame = pd.DataFrame(frame).astype({"team": object, "method": object, "quarter": object})
    measured = frame[frame["forecast"].notna() & frame["abs_pct_error"].notna()]
    stats = {
        "quarters": ("quarter", "nunique"),
        "forecasts": ("forecast", "size"),
        "mape": ("abs_pct_error", "mean"),
        "bias": ("pct_error", "mean"),
    }
    overall = measured.groupby(["team", "method"], as_index=False).agg(**stats)
    weekly = measured.groupby(["team", "method", "week_of_quarter"], as_index=False).agg(**stats)
    pairs = frame.loc[frame["forecast"].notna(), ["team", "method"]].drop_duplicates()
    unmeasured = pairs.merge(overall[["team", "method"]], how="left", indicator=True)
    unmeasured = unmeasured[unmeasured["_merge"] == "left_only"].drop(columns="_merge")
    unmeasured = unmeasured.assign(quarters=0, forecasts=0, mape=np.nan, bias=np.nan)
    overall = pd.concat([overall, unmeasured], ignore_index=True)
    overall["week_of_quarter"] = pd.NA
    out = pd.concat([overall, weekly], ignore_index=True)
    out["week_of_quarter"] = out["week_of_quarter"].astype("Int64")
    out["judged"] = out["team"].map(frame.groupby("team")["quarter"].nunique())
    rank = {m: i for i, m in enumerate(FORECAST_METHODS)}
    out = out.assign(_rank=out["method"].map(rank), _week=out["week_of_quarter"].fillna(0))
    out = out.sort_values(["team", "_rank", "_week"]).drop(columns=["_rank", "_week"])
    columns = ["team", "method", "week_of_quarter", "quarters", "forecasts", "mape", "bias"]
    typed = {"quarters": "int64", "forecasts": "int64", "mape": "float64", "bias": "float64"}
    return out[[*columns, "judged"]].astype({**typed, "judged": "int64"}).reset_index(drop=True)


def recommended_method(
    summary: pd.DataFrame, settings: BacktestSettings | None = None
) -> pd.DataFrame:
    """Per team: the ``method`` with the lowest MAPE over weeks ``recommend_week`` ±
    ``week_window`` among those measured on at least ``min_quarters`` quarters, its
    ``mape`` and ``bias`` there, ``quarters``, each baseline's MAPE there
    (``<baseline>_mape``), ``beats_baselines`` (a method other than a baseline, with a
    lower MAPE than each baseline measured; a tie goes to the baseline) and ``note``
    (blank, or why no method is recommended: too few closed quarters, or too few that
    won anything to measure an error against).

    >>> s = pd.DataFrame({"team": "N", "method": "naive_pace", "week_of_quarter": [pd.NA],
    ...     "quarters": 0, "forecasts": 0, "mape": np.nan, "bias": np.nan, "judged": 3})
    >>> recommended_method(s)["note"].tolist()
    ['not enough quarters with a deal won: 0 of the 3 closed quarters judged, needs at least 2']
    """
    settings = settings or BacktestSettings()
    low = settings.recommend_week - settings.week_window
    high = settings.recommend_week + settings.week_window
    weekly = summary[summary["week_of_quarter"].notna()]
    around = weekly[weekly["week_of_quarter"].between(low, high)]
    scores = around.groupby(["team", "method"], as_index=False).agg(
        mape=("mape", "mean"), bias=("bias", "mean")
    )
    quarters = summary[summary["week_of_quarter"].isna()].set_index(["team", "method"])
    scores = scores.join(quarters["quarters"], on=["team", "method"])
    rows = []
    for team in sorted(summary["team"].unique()):
        mine = scores[scores["team"] == team]
        enough = mine[mine["quarters"] >= settings.min_quarters].dropna(subset=["mape"])
        baselines = {
            f"{b}_mape": mine.set_index("method")["mape"].get(b, np.nan) for b in BASELINES
        }
        row = {"team": team, "method": "", "mape": np.nan, "bias": np.nan, **baselines, "note": ""}
        if len(enough):  # a tie goes to a baseline: the simpler method
            ranked = enough.assign(_other=~enough["method"].isin(BASELINES))
            best = ranked.sort_values(["mape", "_other", "method"]).iloc[0]
            measured = [v for v in baselines.values() if not pd.isna(v)]
            beats = bool(best["_other"]) and all(best["mape"] < v for v in measured)
            row.update(method=best["method"], mape=best["mape"], bias=best["bias"])
            rows.append({**row, "quarters": int(best["quarters"]), "beats_baselines": beats})
            continue
        team_rows = summary[summary["team"] == team]
        most = int(quarters.loc[team, "quarters"].max()) if team in quarters.index else 0
        judged = int(team_rows["judged"].max()) if "judged" in team_rows else most
        rows.append(
            {
                **row,
                "quarters": most,
                "beats_baselines": False,
                "note": why_not_recommended(
                    most, judged, settings.min_quarters, None if len(mine) else (low, high)
                ),
            }
        )
    columns = ["team", "method", "mape", "bias", "quarters", *(f"{b}_mape" for b in BASELINES)]
    out = pd.DataFrame(rows, columns=[*columns, "beats_baselines", "note"])
    return out.astype({"quarters": "int64", "beats_baselines": "bool"})


def why_not_recommended(
    measured: int, judged: int, least: int, window: tuple[int, int] | None = None
) -> str:
    """Why no method is recommended: too few closed quarters judged, too few of them that
    won anything (a percentage error of a quarter that won nothing has no size), or no
    week of the ``window`` stored in them (None: some were).

    >>> why_not_recommended(0, 1, 2)
    'not enough history: 1 closed quarters, needs at least 2'
    """
    if judged < least:
        return f"not enough history: {judged} closed quarters, needs at least {least}"
    if measured < least:
        return (
            f"not enough quarters with a deal won: {measured} of the {judged} closed quarters "
            f"judged, needs at least {least}"
        )
    low, high = window or (0, 0)
    return (
        f"not measured at weeks {max(low, 1)} to {high} of the quarter: no week stored there "
        "in the closed quarters judged"
    )

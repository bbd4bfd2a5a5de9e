"""The reps' forecast calls judged: are they in (freshness), and do they call what they
win (bias by week of the quarter).

A call (the canonical FORECAST CALLS frame, :data:`~pipereview.ingest.CALL_COLUMNS`) is
a rep's commit for the whole quarter, won to date included. For every closed quarter
before the as-of week's, and every week N of it in which a rep called, the ratio is the
call over what the rep won in that quarter (won stage, close date in the quarter, as
:func:`~pipereview.diagnostics._forecast.won_deals` counts it): below 1 the rep calls less
than they win (sandbagging, 保守/压单), above 1 more (over-calling, 过度乐观). A manager's
call is judged the same way against the team's won amount.

Week N of a quarter: week 1 is the first ISO week whose Thursday falls in the quarter
(as :func:`~pipereview.ingest.quarter_of_week` assigns weeks to quarters), so a quarter
has 13 weeks, or 14.

>>> calls = pd.DataFrame({"week": ["2026-W02", "2026-W15"], "period": ["2026-Q1", "2026-Q2"],
...     "team": "North", "level": "rep", "rep": "Ann", "commit": [80.0, 90.0]})
>>> history = pd.DataFrame({"snapshot_week": "2026-W20", "team": "North",
...     "deal_id": ["D1", "D2"], "owner": "Ann", "stage": "won", "stage_model": "generic_4",
...     "amount": [100.0, 100.0], "close_date": pd.to_datetime(["2026-02-10", "2026-05-12"])})
>>> bias = call_bias(calls, history, "2026-W30")
>>> bias.overall[["rep", "ratio", "quarters", "verdict"]].round(2).values.tolist()
[['Ann', 0.85, 2, 'sandbagging']]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipereview.core._compare import at_most
from pipereview.core._errors import ConfigError
from pipereview.core._languages import check_language
from pipereview.core._vocabulary import CALL_BIAS_LABELS, CALL_STATUS_LABELS
from pipereview.core._weeks import Week
from pipereview.diagnostics._forecast import as_week, won_deals
from pipereview.forecasting._quarterweeks import week_of_quarter
from pipereview.history._prepared import PreparedHistory
from pipereview.ingest._forecastcalls import quarter_of_week

__all__ = [
    "CallBias",
    "CallSettings",
    "bias_label",
    "call_bias",
    "call_freshness",
    "corrected_call",
]

_KEYS = ["team", "level", "rep"]


@dataclass(frozen=True)
class CallSettings:
    """Thresholds of the forecast calls (configuration section ``forecast_calls``).

    - ``stale_days`` (7): a call made this many days or fewer before the as-of week's
      Sunday (its submission date, else its week's Monday) is still current; older, and
      not of the as-of week, it is stale;
    - ``min_quarters`` (2): fewer closed quarters with a call and a win give no bias
      verdict ("not enough history");
    - ``bias_tolerance`` (0.10): a median call/won ratio within this distance of 1 is
      "on target"; below it "sandbagging", above it "over-calling".

    >>> CallSettings(min_quarters=0)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: min_quarters must be at least 1, got 0
    Hint: set forecast_calls.min_quarters to a whole number such as 2
    """

    stale_days: int = 7
    min_quarters: int = 2
    bias_tolerance: float = 0.10

    def __post_init__(self) -> None:
        if self.stale_days < 0:
            raise ConfigError(
                f"stale_days must be 0 or more, got {self.stale_days}",
                hint="set forecast_calls.stale_days to a number of days such as 7",
            )
        if self.min_quarters < 1:
            raise ConfigError(
                f"min_quarters must be at least 1, got {self.min_quarters}",
                hint="set forecast_calls.min_quarters to a whole number such as 2",
            )
        if not 0 <= self.bias_tolerance < 1:
            raise ConfigError(
                f"bias_tolerance must be a share in [0, 1), got {self.bias_tolerance}",
                hint="set forecast_calls.bias_tolerance to a share such as 0.10 (10%)",
            )


@dataclass(frozen=True)
class CallBias:
    """Each rep's (and each manager's) calls against what they won.

    - ``detail``: one row per closed quarter and week the rep called (``team``, ``level``,
      ``rep``, ``period``, ``week``, ``week_of_quarter``, ``commit``, ``won``, ``ratio``
      and ``note``: why a ratio is not available);
    - ``by_week``: per rep and week of quarter, the median ratio across quarters and the
      quarters counted;
    - ``overall``: per rep, the median of the quarters' median ratios, the quarters
      counted and the ``verdict`` (``sandbagging``, ``over-calling``, ``on target`` or
      ``not enough history``).
    """

    detail: pd.DataFrame
    by_week: pd.DataFrame
    overall: pd.DataFrame
    settings: CallSettings


def call_freshness(
    calls: pd.DataFrame,
    reps: pd.DataFrame,
    as_of: Week | str,
    settings: CallSettings | None = None,
    *,
    lang: str = "en",
) -> pd.DataFrame:
    """Per rep of each team (``reps``: ``team`` and ``rep`` columns, e.g. the owners of the
    team's deals; the reps who called are added) and per team's manager: the week of the
    last call up to ``as_of``, its submission date, ``weeks_since``, ``state``
    (``this_week``, ``current``, ``stale``, ``never``) and ``status`` in ``lang``
    ("this week", "stale (2 weeks old)", "never submitted")."""
    check_language(lang)
    settings = settings or CallSettings()
    as_of = as_week(as_of)
    calls = _canonical(calls)
    upto = calls[calls["week"].map(lambda w: Week.parse(w) <= as_of)] if len(calls) else calls
    roster = pd.concat(
        [
            reps[["team", "rep"]].assign(level="rep"),
            upto.loc[upto["level"] == "rep", ["team", "rep"]].assign(level="rep"),
            pd.DataFrame({"team": pd.concat([reps["team"], upto["team"]]).unique()}).assign(
                level="manager", rep=None
            ),
        ],
        ignore_index=True,
    ).dropna(subset=["team"])
    roster = _keyed(roster).drop_duplicates("_key")
    latest = _keyed(upto).sort_values(["week", "submitted"], na_position="first", kind="stable")
    latest = latest.drop_duplicates("_key", keep="last").set_index("_key")
    out = roster.join(latest[["week", "submitted"]], on="_key")
    sunday = pd.Timestamp(as_of.sunday)
    called = out["week"].notna()
    mondays = out["week"].map(lambda w: pd.Timestamp(Week.parse(w).monday), na_action="ignore")
    day = pd.to_datetime(out["submitted"]).fillna(pd.to_datetime(mondays))
    out["weeks_since"] = (pd.Timestamp(as_of.monday) - pd.to_datetime(mondays)).dt.days // 7
    age = (sunday - day).dt.days
    out["state"] = np.select(
        [~called, out["weeks_since"] == 0, age <= settings.stale_days],
        ["never", "this_week", "current"],
        "stale",
    )
    out["status"] = [
        _status(state, weeks, lang)
        for state, weeks in zip(out["state"], out["weeks_since"], strict=True)
    ]
    out = out.rename(columns={"week": "last_week"}).drop(columns="_key")
    order = out.assign(_m=out["level"] == "manager").sort_values(
        ["team", "_m", "rep"], kind="stable"
    )
    order["weeks_since"] = order["weeks_since"].astype("Int64")
    columns = ["team", "level", "rep", "last_week", "submitted", "weeks_since", "state", "status"]
    return _none(order[columns].reset_index(drop=True), "rep", "last_week")


def call_bias(
    calls: pd.DataFrame,
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    settings: CallSettings | None = None,
) -> CallBias:
    """Each rep's and manager's calls of the closed quarters before ``as_of``'s quarter
    against what they won in them (see the module's text)."""
    settings = settings or CallSettings()
    as_of = as_week(as_of)
    current = quarter_of_week(as_of)
    closed = _latest_per_week(calls)
    closed = closed[
        (closed["period"] < current) & closed["week"].map(lambda w: Week.parse(w) <= as_of)
    ]
    detail = _ratios(closed, history, as_of)
    by_week = (
        detail.dropna(subset=["ratio"])
        .groupby([*_KEYS, "week_of_quarter"], dropna=False, sort=True)
        .agg(ratio=("ratio", "median"), quarters=("period", "nunique"))
        .reset_index()
    )
    per_quarter = (
        detail.dropna(subset=["ratio"])
        .groupby([*_KEYS, "period"], dropna=False, sort=True)["ratio"]
        .median()
        .reset_index()
    )
    overall = (
        per_quarter.groupby(_KEYS, dropna=False, sort=True)
        .agg(ratio=("ratio", "median"), quarters=("period", "nunique"))
        .reset_index()
    )
    everyone = detail[_KEYS].drop_duplicates()
    overall = everyone.merge(overall, on=_KEYS, how="left")
    overall["quarters"] = overall["quarters"].fillna(0).astype("int64")
    overall["verdict"] = [
        _verdict(r, q, settings) for r, q in zip(overall["ratio"], overall["quarters"], strict=True)
    ]
    overall = overall.sort_values(_KEYS, kind="stable", na_position="first").reset_index(drop=True)
    return CallBias(_none(detail, "rep"), _none(by_week, "rep"), _none(overall, "rep"), settings)


def corrected_call(calls: pd.DataFrame, bias: CallBias, as_of: Week | str) -> pd.DataFrame:
    """Per rep and manager, this quarter's latest call up to ``as_of`` divided by the
    rep's ratio at the same week of the quarter (the median across quarters), else by the
    rep's overall median ratio; ``source`` says which, and the call is left as called
    ("not corrected: …") when the rep's history gives no verdict."""
    as_of = as_week(as_of)
    period = quarter_of_week(as_of)
    latest = _latest_per_week(calls)
    latest = latest[
        (latest["period"] == period) & latest["week"].map(lambda w: Week.parse(w) <= as_of)
    ]
    latest = latest.sort_values("week", kind="stable").drop_duplicates(_KEYS, keep="last")
    latest = latest.assign(week_of_quarter=[week_of_quarter(w, period) for w in latest["week"]])
    at_week = bias.by_week.rename(columns={"ratio": "week_ratio", "quarters": "week_quarters"})
    out = latest.merge(at_week, on=[*_KEYS, "week_of_quarter"], how="left")
    out = out.merge(bias.overall, on=_KEYS, how="left")
    ratios, sources = [], []
    for row in out.itertuples(index=False):
        ratio, source = _correction(row, bias.settings)
        ratios.append(ratio)
        sources.append(source)
    out["ratio"] = ratios
    out["corrected"] = out["commit"] / out["ratio"].fillna(1.0)
    out["source"] = sources
    columns = [
        *_KEYS,
        "period",
        "week",
        "week_of_quarter",
        "commit",
        "ratio",
        "corrected",
        "source",
    ]
    return (
        out[columns].sort_values(_KEYS, kind="stable", na_position="first").reset_index(drop=True)
    )


def _correction(row: Any, settings: CallSettings) -> tuple[float, str]:
    told = getattr(row, "quarters", 0)
    quarters = 0 if pd.isna(told) else int(told)
    if quarters < settings.min_quarters:
        return (
            float("nan"),
            f"not corrected: not enough history ({quarters} closed quarters with a call "
            f"and a win, needs {settings.min_quarters})",
        )
    week_ratio = row.week_ratio
    n = int(row.week_of_quarter)
    if pd.notna(week_ratio):
        count = int(row.week_quarters)
        return float(week_ratio), f"ratio {week_ratio:.2f} at week {n} of {count} quarters"
    ratio = float(row.ratio)
    return ratio, f"overall ratio {ratio:.2f} of {quarters} quarters (no call at week {n} before)"


def _none(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with the blank cells of text ``columns`` as None (not NaN)."""
    for column in columns:
        frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    rep = frame["rep"].astype("object").where(frame["rep"].notna(), "")
    return frame.assign(_key=frame["team"].astype(str) + "\x1f" + frame["level"] + "\x1f" + rep)


def _canonical(calls: pd.DataFrame) -> pd.DataFrame:
    """``calls`` with the optional columns it lacks (a frame built by hand)."""
    frame = calls.copy()
    if "submitted" not in frame:
        frame["submitted"] = pd.NaT
    if "level" not in frame:
        frame["level"] = np.where(frame["rep"].notna(), "rep", "manager")
    if "period" not in frame:
        frame["period"] = frame["week"].map(lambda w: quarter_of_week(Week.parse(w)))
    frame["submitted"] = pd.to_datetime(frame["submitted"])
    return frame


def _latest_per_week(calls: pd.DataFrame) -> pd.DataFrame:
    """One call per team, level, rep, period and week: the last submitted."""
    frame = _canonical(calls)
    frame["rep"] = frame["rep"].astype("object").where(frame["rep"].notna(), None)
    frame = frame.sort_values(["week", "submitted"], na_position="first", kind="stable")
    return frame.drop_duplicates([*_KEYS, "period", "week"], keep="last")


def _ratios(
    closed: pd.DataFrame, history: pd.DataFrame | PreparedHistory, as_of: Week
) -> pd.DataFrame:
    """The closed quarters' calls with ``won`` (by the rep in the team, or by the team for
    a manager) and ``ratio`` = commit / won; NaN with a ``note`` when won is 0."""
    rows = []
    for period, group in closed.groupby("period", sort=True):
        won = won_deals(history, str(period), as_of)
        by_rep = (
            won.groupby(["team", "owner"])["amount"].sum() if len(won) else pd.Series(dtype=float)
        )
        by_team = won.groupby("team")["amount"].sum() if len(won) else pd.Series(dtype=float)
        for call in group.itertuples(index=False):
            key = (call.team, call.rep) if call.level == "rep" else call.team
            amount = float((by_rep if call.level == "rep" else by_team).get(key, 0.0))
            commit = float(call.commit)  # type: ignore[arg-type]
            ratio, note = _ratio(commit, amount, str(period))
            rows.append(
                {
                    "team": call.team,
                    "level": call.level,
                    "rep": call.rep,
                    "period": str(period),
                    "week": call.week,
                    "week_of_quarter": week_of_quarter(str(call.week), str(period)),
                    "commit": commit,
                    "won": amount,
                    "ratio": ratio,
                    "note": note,
                }
            )
    columns = [*_KEYS, "period", "week", "week_of_quarter", "commit", "won", "ratio", "note"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["ratio"] = frame["ratio"].astype("float64")
    return frame


def _ratio(commit: float, won: float, period: str) -> tuple[float, str]:
    if won > 0:
        return commit / won, ""
    return float("nan"), f"not available: nothing won in {period}"


def _verdict(ratio: float, quarters: int, settings: CallSettings) -> str:
    if quarters < settings.min_quarters:
        return "not enough history"
    if at_most(abs(ratio - 1), settings.bias_tolerance):
        return "on target"
    return "sandbagging" if ratio < 1 else "over-calling"


def _status(state: str, weeks: float, lang: str) -> str:
    text = CALL_STATUS_LABELS[state][1 if lang == "zh" else 0]
    return text.format(weeks=int(weeks)) if state in ("current", "stale") else text


def bias_label(verdict: str, lang: str = "en") -> str:
    """A bias verdict in ``lang``.

    >>> bias_label("sandbagging", "zh")
    '保守（压单）'
    """
    check_language(lang)
    return CALL_BIAS_LABELS[verdict][1 if lang == "zh" else 0]

"""How well each stage's configured probability matches what history shows: per team and
open stage, the deals seen there, how they ended, the range the win rate can still take
while some are open, and a verdict (docs/forecast.md).

A short history hides the deals that take long: the deals that already ended are mostly
the quick ones (often quick losses), so a win rate of the ended deals alone misleads. Two
rules keep the verdict honest:

- **time to end**: a deal counts for a stage only once it reached the stage at least as
  long ago as the stage model says a deal there typically needs to close (the
  ``typical_days`` of the stage and of every later open stage); deals that reached it more
  recently are ``too_recent`` and left out, whether or not they already ended;
- **the range**: of the counted deals still open, none may be won or all of them may be:
  ``observed_low`` assumes every one is lost, ``observed_high`` every one won. A verdict
  is given only when the whole range sits on one side of the configured probability
  (± ``calibration_tolerance``); when the open deals could still tip it, it is
  ``too early``.

>>> day = pd.Timestamp("2026-11-20")
>>> deal = {"team": "North", "owner": "Ann", "stage_model": "generic_4", "amount": 100.0,
...     "currency": "USD", "close_date": day}
>>> rows = [{**deal, "snapshot_week": f"2026-W{w}", "deal_id": d, "stage": s}
...     for w, d, s in [(43, "X", "negotiation"), (43, "Y", "negotiation"),
...                     (43, "Z", "negotiation"), (47, "X", "won"), (47, "Y", "lost"),
...                     (47, "Z", "negotiation")]]
>>> out = stage_calibration(pd.DataFrame(rows), "2026-W47",
...     ForecastSettings(min_calibration_deals=2))
>>> out[["stage", "configured", "observed_low", "observed", "observed_high", "verdict"]]
         stage  configured  observed_low  observed  observed_high    verdict
0  negotiation        0.75      0.333333       0.5       0.666667  too early
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._compare import at_least, at_most, less_than, more_than
from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._forecast import ForecastSettings, as_week
from pipereview.history._prepared import PreparedHistory, as_prepared
from pipereview.ingest._schema import stage_facts

__all__ = ["CALIBRATION_COLUMNS", "CALIBRATION_VERDICTS", "stage_calibration", "wait_days"]

#: The columns of :func:`stage_calibration`, in order.
CALIBRATION_COLUMNS: tuple[str, ...] = (
    "team",
    "stage_model",
    "stage",
    "configured",
    "observed",
    "observed_low",
    "observed_high",
    "difference",
    "deals_seen",
    "too_recent",
    "won",
    "lost",
    "still_open",
    "resolved_share",
    "verdict",
    "note",
)

#: Every verdict :func:`stage_calibration` gives.
CALIBRATION_VERDICTS: tuple[str, ...] = (
    "calibrated",
    "optimistic",
    "pessimistic",
    "too early",
    "too few",
)


def wait_days(stage_model: str, stage: str) -> int:
    """Days a deal that reached ``stage`` typically needs to close: the ``typical_days`` of
    the stage and of every later open stage of the model (a stage without it counts 0).

    >>> wait_days("generic_4", "initial_contact"), wait_days("generic_4", "negotiation")
    (77, 21)
    """
    stages = [s for s in load_stage_model(stage_model).stages if s.is_open]
    keys = [s.key for s in stages]
    return sum(s.typical_days or 0 for s in stages[keys.index(stage) :])


def _seen(prep: PreparedHistory, as_of: Week) -> pd.DataFrame:
    """One row per team, stage and deal seen open there: how it ended up to ``as_of``
    (won, lost, open) and whether it reached the stage long enough ago to count."""
    last = prep.last_rows()
    outcome = pd.Series(
        np.select([prep.is_won[last], prep.is_lost[last]], ["won", "lost"], "open"),
        index=prep.deal_key.iloc[last].to_numpy(),
        name="outcome",
    )
    keys = ["team", "stage_model", "stage", "deal_key"]
    upto = prep.frame.assign(deal_key=prep.deal_key, _monday=prep.monday)
    first = upto.loc[prep.is_open].groupby(keys, sort=False, observed=True)["_monday"].min()
    seen = first.reset_index().join(outcome, on="deal_key")
    waits = {
        (m, s): wait_days(str(m), str(s))
        for m, s in seen[["stage_model", "stage"]].drop_duplicates().itertuples(index=False)
    }
    need = [waits[(m, s)] for m, s in zip(seen["stage_model"], seen["stage"], strict=True)]
    days = (pd.Timestamp(as_of.monday) - seen["_monday"]).dt.days
    seen["outcome"] = seen["outcome"].where(at_least(days, np.array(need)), "too_recent")
    return seen


def _note(row: pd.Series, settings: ForecastSettings) -> str:
    """Why the stage got its verdict, in plain words."""
    resolved = int(row["won"] + row["lost"])
    recent = (
        f"; {int(row['too_recent'])} reached the stage less than "
        f"{wait_days(str(row['stage_model']), str(row['stage']))} days ago (the typical "
        "time to close from it) and are not counted"
    ) * bool(row["too_recent"] > 0)
    if row["verdict"] == "too few":
        return f"{resolved} counted deals ended, {settings.min_calibration_deals} needed{recent}"
    band = f"configured {row['configured']:.0%} ± {settings.calibration_tolerance * 100:.0f} points"
    rate = f"{row['observed_low']:.0%}"
    if row["still_open"] > 0:
        rate = f"between {rate} and {row['observed_high']:.0%}"
    counted = int(resolved + row["still_open"])
    opened = f"{int(row['still_open'])} of {counted} still open: " * bool(row["still_open"] > 0)
    says = {
        "calibrated": "within",
        "optimistic": "below",
        "pessimistic": "above",
        "too early": "not yet clear of",
    }[str(row["verdict"])]
    return f"{opened}win rate {rate}, {says} the {band}{recent}"


def stage_calibration(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    settings: ForecastSettings | None = None,
) -> pd.DataFrame:
    """Per team and open stage: the configured probability next to the observed one.

    Of the deals seen open in stage s (any week up to ``as_of``), ``deals_seen`` counts
    all, ``too_recent`` those that first reached s fewer than :func:`wait_days` before
    ``as_of`` (left out of everything else); of the rest, ``won`` and ``lost`` count those
    whose latest row is won or lost, ``still_open`` the others. ``observed`` = won /
    (won + lost); ``observed_low`` = won / (won + lost + still_open) (every open deal
    lost), ``observed_high`` = (won + still_open) / the same (every open deal won);
    ``resolved_share`` = (won + lost) / the same. ``difference`` = configured - observed.
    ``verdict``: ``too few`` below ``min_calibration_deals`` ended deals; else
    ``optimistic`` when even ``observed_high`` lies more than the tolerance below the
    configured probability, ``pessimistic`` when even ``observed_low`` lies more than it
    above, ``calibrated`` when the whole range lies within it, otherwise ``too early``.
    ``note`` says why, in plain words.
    """
    settings = settings or ForecastSettings()
    as_of = as_week(as_of)
    prep = as_prepared(history).upto(as_of).in_week_order()
    seen = _seen(prep, as_of)
    counts = pd.crosstab([seen["team"], seen["stage_model"], seen["stage"]], seen["outcome"])
    outcomes = ["won", "lost", "open", "too_recent"]
    counts = counts.reindex(columns=outcomes, fill_value=0).reset_index()
    out = counts.rename(columns={"open": "still_open"}).rename_axis(columns=None)
    out["deals_seen"] = out[["won", "lost", "still_open", "too_recent"]].sum(axis=1)
    out["configured"] = stage_facts(out)["model_probability"]
    resolved = out["won"] + out["lost"]
    counted = (resolved + out["still_open"]).astype(float)
    counted = counted.where(counted > 0)
    out["observed"] = (out["won"] / resolved.where(resolved > 0)).astype(float)
    out["observed_low"] = out["won"] / counted
    out["observed_high"] = (out["won"] + out["still_open"]) / counted
    out["resolved_share"] = resolved / counted
    out["difference"] = out["configured"] - out["observed"]
    tol = settings.calibration_tolerance
    low, high, configured = out["observed_low"], out["observed_high"], out["configured"]
    out["verdict"] = np.select(
        [
            resolved < settings.min_calibration_deals,
            more_than(configured - high, tol),
            less_than(configured - low, -tol),
            at_most(configured - low, tol) & at_least(configured - high, -tol),
        ],
        ["too few", "optimistic", "pessimistic", "calibrated"],
        "too early",
    )
    out["note"] = [_note(row, settings) for _, row in out.iterrows()]
    order = {
        (m, s.key): i
        for m in out["stage_model"].unique()
        for i, s in enumerate(load_stage_model(str(m)).stages)
    }
    rank = [order[(m, s)] for m, s in zip(out["stage_model"], out["stage"], strict=True)]
    out = out.assign(_rank=rank).sort_values(["team", "_rank"]).drop(columns="_rank")
    return out[list(CALIBRATION_COLUMNS)].reset_index(drop=True)

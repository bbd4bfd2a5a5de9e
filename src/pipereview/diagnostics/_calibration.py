"""How well each stage's configured probability matches what history shows: per team and
open stage, the deals seen there, how they ended, and a verdict (docs/forecast.md).

>>> day = pd.Timestamp("2026-11-20")
>>> deal = {"team": "North", "owner": "Ann", "stage_model": "generic_4", "amount": 100.0,
...         "currency": "USD", "close_date": day}
>>> history = pd.DataFrame([
...     {**deal, "snapshot_week": "2026-W46", "deal_id": "X", "stage": "negotiation"},
...     {**deal, "snapshot_week": "2026-W46", "deal_id": "Y", "stage": "negotiation"},
...     {**deal, "snapshot_week": "2026-W47", "deal_id": "X", "stage": "won"},
...     {**deal, "snapshot_week": "2026-W47", "deal_id": "Y", "stage": "lost"}])
>>> out = stage_calibration(history, "2026-W47", ForecastSettings(min_calibration_deals=2))
>>> out[["stage", "configured", "observed", "won", "lost", "verdict"]]
         stage  configured  observed  won  lost      verdict
0  negotiation        0.75       0.5    1     1  optimistic
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than, more_than
from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.diagnostics._forecast import ForecastSettings, as_week
from pipereview.history._prepared import PreparedHistory, as_prepared
from pipereview.ingest._schema import stage_facts

__all__ = ["stage_calibration"]


def stage_calibration(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    settings: ForecastSettings | None = None,
) -> pd.DataFrame:
    """Per team and open stage: the configured probability next to the observed one.

    Of the deals seen open in stage s (any week up to ``as_of``), ``won`` and ``lost``
    count those whose latest row is won or lost, ``still_open`` the rest;
    ``observed`` = won / (won + lost). ``verdict``: ``too few`` below
    ``min_calibration_deals`` resolved deals, else ``optimistic`` (configured above
    observed by more than the tolerance), ``pessimistic`` or ``calibrated``.
    """
    settings = settings or ForecastSettings()
    as_of = as_week(as_of)
    prep = as_prepared(history).upto(as_of).in_week_order()
    upto = prep.frame.assign(deal_key=prep.deal_key)
    last = prep.last_rows()
    outcome = pd.Series(
        np.select([prep.is_won[last], prep.is_lost[last]], ["won", "lost"], "open"),
        index=prep.deal_key.iloc[last].to_numpy(),
        name="outcome",
    )
    seen = upto.loc[prep.is_open, ["team", "stage_model", "stage", "deal_key"]]
    seen = seen.drop_duplicates().join(outcome, on="deal_key")
    counts = pd.crosstab([seen["team"], seen["stage_model"], seen["stage"]], seen["outcome"])
    counts = counts.reindex(columns=["won", "lost", "open"], fill_value=0).reset_index()
    out = counts.rename(columns={"open": "still_open"}).rename_axis(columns=None)
    out["deals_seen"] = out["won"] + out["lost"] + out["still_open"]
    out["configured"] = stage_facts(out)["model_probability"]
    resolved = out["won"] + out["lost"]
    out["observed"] = (out["won"] / resolved.where(resolved > 0)).astype(float)
    out["difference"] = out["configured"] - out["observed"]
    tol = settings.calibration_tolerance
    out["verdict"] = np.select(
        [
            resolved < settings.min_calibration_deals,
            more_than(out["difference"], tol),
            less_than(out["difference"], -tol),
        ],
        ["too few", "optimistic", "pessimistic"],
        "calibrated",
    )
    order = {
        (m, s.key): i
        for m in out["stage_model"].unique()
        for i, s in enumerate(load_stage_model(str(m)).stages)
    }
    rank = [order[(m, s)] for m, s in zip(out["stage_model"], out["stage"], strict=True)]
    out = out.assign(_rank=rank).sort_values(["team", "_rank"]).drop(columns="_rank")
    columns = [
        "team",
        "stage_model",
        "stage",
        "configured",
        "observed",
        "difference",
        "deals_seen",
        "won",
        "lost",
        "still_open",
        "verdict",
    ]
    return out[columns].reset_index(drop=True)

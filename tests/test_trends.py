"""pipereview.diagnostics._trends: week-over-week metrics per team and reps against the team median."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _forecastrows import deal_row, history
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import new_deals
from pipereview.diagnostics._forecast import (
    period_forecast,
    weighted_rows,
    win_rates,
    won_deals,
)
from pipereview.diagnostics._trend_weeks import quarter_of
from pipereview.diagnostics._trends import (
    METRICS,
    TrendSettings,
    rep_comparison,
    weekly_metrics,
)
from pipereview.history._prepared import PreparedHistory, as_prepared

row = partial(deal_row, close="2026-12-15", category="pipeline", created="2026-09-01")
frame = history


HISTORY = frame(
    [
        row("2026-W46", "A", "negotiation", 1000),
        row("2026-W46", "B", "initial_contact", 1000),
        row("2026-W47", "A", "won", 1000, close="2026-11-18"),
        row("2026-W47", "B", "initial_contact", 1000),
        row("2026-W47", "C", "needs_confirmed", 2000, created="2026-11-17"),
    ]
)
TARGETS = pd.DataFrame(
    {"team": "N", "owner": [""], "period": "2026-Q4", "amount": [5000.0], "currency": "USD"}
)


def test_weekly_metrics_by_hand() -> None:
    out = weekly_metrics(HISTORY, targets=TARGETS).set_index(["metric", "week"])
    # open: W46 A 1000 + B 1000 = 2000; W47 B 1000 + C 2000 = 3000 -> +1000, +50%, up
    assert list(out.loc[("open_pipeline", "2026-W47"), ["value", "previous", "change"]]) == [
        3000.0,
        2000.0,
        1000.0,
    ]
    assert out.loc[("open_pipeline", "2026-W47"), "direction"] == "up"
    # weighted: W46 1000 x 0.75 + 1000 x 0.10 = 850; W47 100 + 2000 x 0.25 = 600
    assert out.loc[("weighted_pipeline", "2026-W46"), "value"] == 850.0
    assert out.loc[("weighted_pipeline", "2026-W47"), "value"] == 600.0
    # C was created on Tue 17 Nov (W47); A was won on 18 Nov
    assert out.loc[("new_deals", "2026-W47"), "value"] == 1.0
    assert out.loc[("won_amount", "2026-W47"), "value"] == 1000.0
    assert out.loc[("won_amount", "2026-W46"), "value"] == 0.0
    # coverage W47: open due in Q4 3000 / (5000 - 1000 won) = 0.75
    assert out.loc[("coverage", "2026-W47"), "value"] == 0.75
    assert out.loc[("open_pipeline", "2026-W46"), "direction"] == ""  # first week
    assert set(out.index.get_level_values("metric")) == set(METRICS)


def test_flat_band() -> None:
    history = frame(
        [row("2026-W46", "A", "negotiation", 1000), row("2026-W47", "A", "negotiation", 1040)]
    )
    out = weekly_metrics(history).set_index(["metric", "week"])
    # +40 is 4% of 1000, within the 5% band
    assert out.loc[("open_pipeline", "2026-W47"), "direction"] == "flat"
    wide = weekly_metrics(history, settings=TrendSettings(flat=0.01)).set_index(["metric", "week"])
    assert wide.loc[("open_pipeline", "2026-W47"), "direction"] == "up"


def team(amounts: dict[str, list[float]]) -> pd.DataFrame:
    return frame(
        [
            row("2026-W47", f"{owner}{i}", "negotiation", a, owner=owner)
            for owner, values in amounts.items()
            for i, a in enumerate(values)
        ]
    )


def test_reps_against_the_team_median_with_a_minimum_sample() -> None:
    history = team({"Ann": [100.0] * 5, "Bob": [200.0] * 5, "Cy": [400.0] * 5, "Dee": [9999.0] * 2})
    out = rep_comparison(history, "2026-W47").set_index(["owner", "metric"])
    # open pipeline: Ann 500, Bob 1000, Cy 2000; Dee has 2 deals < 5: not in the median
    # median 1000: Ann 0.5 below, Bob in line, Cy 2.0 above
    pipe = out.xs("open_pipeline", level="metric")
    assert pipe["team_median"].tolist() == [1000.0] * 4
    assert pipe["verdict"].tolist() == ["below", "in line", "above", ""]
    assert pipe.loc["Dee", "note"] == "too few deals: 2 < 5"
    assert pipe.loc["Ann", "ratio"] == pytest.approx(0.5)
    # no targets: coverage has no value, so no verdict
    assert set(out.xs("coverage", level="metric")["verdict"]) == {""}


def test_quarter_of_and_inputs_unchanged() -> None:
    assert quarter_of("2026-W39") == "2026-Q3"  # Thu 24 Sep
    assert quarter_of("2027-W01") == "2027-Q1"
    before = HISTORY.copy()
    weekly_metrics(HISTORY, targets=TARGETS)
    rep_comparison(HISTORY, "2026-W47", targets=TARGETS)
    pd.testing.assert_frame_equal(HISTORY, before)


def test_weekly_metrics_equal_the_week_by_week_computation(sample_store: Path) -> None:
    # all weeks at once (as-of joins) must give exactly what each week's own computation
    # gives: every team, week and metric of the sample, targets included
    from pipereview.core._weeks import Week
    from pipereview.diagnostics._targets import load_targets
    from pipereview.diagnostics._trends import METRICS, TrendSettings
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import with_deal_keys

    history = with_deal_keys(SnapshotStore(sample_store).history())
    targets = load_targets(Path(__file__).resolve().parents[1] / "data" / "samples" / "targets.csv")
    fast = weekly_metrics(history, targets=targets)
    frames = []
    for name in sorted(history["snapshot_week"].unique()):
        week = Week.parse(name)
        frames.append(
            _metrics_at(
                history, week, pd.Timestamp(week.monday), ["team"], targets, TrendSettings()
            ).assign(week=name)
        )
    slow = pd.concat(frames).melt(
        id_vars=["team", "week"], value_vars=list(METRICS), var_name="metric"
    )
    both = fast.merge(
        slow,
        on=["team", "week", "metric"],
        suffixes=("", "_slow"),
        how="outer",
        validate="one_to_one",
    )
    assert len(both) == len(fast) == len(slow) == 4 * 12 * len(METRICS)
    pd.testing.assert_series_equal(
        both["value"].astype(float), both["value_slow"].astype(float), check_names=False
    )


def _metrics_at(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week,
    first: pd.Timestamp,
    keys: list[str],
    targets: pd.DataFrame | None,
    settings: TrendSettings,
) -> pd.DataFrame:
    """The week-by-week reference: every metric per group as of ``as_of`` from the public
    building blocks, one pass over the history up to the week; flows counted from
    ``first`` to its Sunday."""
    upto = as_prepared(history).upto(as_of)
    now = upto.latest_mask()
    snap = upto.frame[now]
    end = pd.Timestamp(as_of.sunday)
    pipe = (
        weighted_rows(snap, upto.take(now).stage_facts(), None)
        .groupby(keys)
        .agg(
            open_pipeline=("amount", "sum"),
            weighted_pipeline=("weighted", "sum"),
            open_deals=("amount", "size"),
        )
    )
    span = max(1, ((end - first).days + 1) // 7)
    new = new_deals(upto, as_of, group_columns=keys, weeks=span).set_index(keys)["new_deals"]
    closed = won_deals(upto, None, as_of)
    won = closed[closed["close_date"].between(first, end)].groupby(keys)["amount"].sum()
    rates = win_rates(upto, as_of, group_columns=keys, settings=settings.forecast).set_index(keys)
    out = snap[keys].drop_duplicates().set_index(keys).join(pipe).join(new)
    out = out.join(won.rename("won_amount")).join(rates[["won", "lost", "win_rate"]])
    counts = ("open_pipeline", "weighted_pipeline", "open_deals", "won_amount", "won", "lost")
    out = out.fillna(dict.fromkeys(counts, 0))
    out["coverage"] = np.nan
    if targets is not None:
        fc = period_forecast(
            upto,
            targets,
            quarter_of(as_of),
            as_of,
            by="rep" if "owner" in keys else "team",
            settings=settings.forecast,
        ).set_index(keys)
        out["coverage"] = fc["coverage"]
    out["deals"] = out["open_deals"] + out["won"] + out["lost"]
    return out.reset_index()


def test_rep_comparison_equals_the_week_by_week_computation(sample_store: Path) -> None:
    # the reps' values come from the same all-weeks computation as the teams': they must
    # equal the reference computed from the public building blocks, targets included
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import with_deal_keys

    history = with_deal_keys(SnapshotStore(sample_store).history())
    targets = load_targets(Path(__file__).resolve().parents[1] / "data" / "samples" / "targets.csv")
    settings = TrendSettings()
    for name in ("2026-W40", "2026-W47"):
        week = Week.parse(name)
        start = (
            pd.Timestamp(week.sunday)
            - pd.Timedelta(weeks=settings.forecast.win_rate_weeks)
            + pd.Timedelta(days=1)
        )
        slow = _metrics_at(history, week, start, ["team", "owner"], targets, settings).melt(
            id_vars=["team", "owner", "deals"], value_vars=list(METRICS), var_name="metric"
        )
        fast = rep_comparison(history, name, targets=targets)
        both = fast.merge(
            slow,
            on=["team", "owner", "metric"],
            suffixes=("", "_slow"),
            how="outer",
            validate="one_to_one",
        )
        assert len(both) == len(fast) == len(slow) > 0
        pd.testing.assert_series_equal(
            both["value"].astype(float),
            both["value_slow"].astype(float),
            check_names=False,
            rtol=1e-12,
        )
        assert (both["deals"] == both["deals_slow"]).all()


def test_a_week_without_open_deals_and_a_missing_week() -> None:
    # W45 is not stored; in W46 and W47 the team's export holds no open deal: the open
    # pipeline is 0 there (not W44's 150); A won 2026-11-12 (in W46), C 2026-11-17 (in W47)
    def deal(week: str, deal_id: str, stage: str, amount: float, close: str) -> dict[str, Any]:
        return {
            "snapshot_week": week,
            "team": "N",
            "deal_id": deal_id,
            "deal_name": deal_id,
            "account": deal_id,
            "owner": "Ann",
            "stage": stage,
            "stage_model": "generic_4",
            "amount": amount,
            "currency": "USD",
            "close_date": pd.Timestamp(close),
            "created_date": pd.Timestamp("2026-09-01"),
            "probability": float("nan"),
            "forecast_category": None,
        }

    history = pd.DataFrame(
        [
            deal("2026-W44", "A", "negotiation", 100.0, "2026-11-20"),
            deal("2026-W44", "B", "initial_contact", 50.0, "2026-12-20"),
            deal("2026-W46", "A", "won", 100.0, "2026-11-12"),
            deal("2026-W46", "B", "lost", 50.0, "2026-11-11"),
            deal("2026-W47", "A", "won", 100.0, "2026-11-12"),
            deal("2026-W47", "C", "won", 70.0, "2026-11-17"),
        ]
    )
    out = weekly_metrics(history).set_index(["metric", "week"])["value"]
    assert out["open_pipeline"].tolist() == [150.0, 0.0, 0.0]
    assert out["weighted_pipeline"].tolist() == [80.0, 0.0, 0.0]  # 100 x 0.75 + 50 x 0.10
    assert out["won_amount"].tolist() == [0.0, 100.0, 70.0]
    assert out["new_deals"].iloc[1:].tolist() == [0.0, 1.0]  # W44: the team's first week

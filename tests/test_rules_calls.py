"""The coaching rules on the reps' forecast calls, on a small hand-built week: a stale and a
missing call (call_stale), a sandbagging and an over-calling rep (call_bias), with their
values, severities and prompts in English and Chinese; nothing without calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from _trimmed import trimmed_export
from pipereview.coaching import coaching_findings, coaching_prompts
from pipereview.coaching.rules_calls import RULES
from pipereview.delivery import WeeklyReview
from pipereview.history import ingest_week, read_forecast_calls_stored, store_forecast_calls
from pipereview.ingest import read_forecast_calls
from pipereview.week import WeekDiagnostics

W47 = "2026-W47"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports" / W47


def deal(owner: str, deal_id: str, stage: str, amount: float, close: str) -> dict[str, Any]:
    return {
        "snapshot_week": W47,
        "team": "T",
        "owner": owner,
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "stage_model": "generic_4",
        "stage": stage,
        "amount": amount,
        "currency": "EUR",
        "close_date": pd.Timestamp(close),
    }


def history() -> pd.DataFrame:
    """Ann, Bo and Cy each won 100 in 2026-Q1 and 100 in 2026-Q2, and hold an open deal."""
    rows = []
    for rep in ("Ann", "Bo", "Cy"):
        rows += [
            deal(rep, f"{rep}-1", "won", 100.0, "2026-02-10"),
            deal(rep, f"{rep}-2", "won", 100.0, "2026-05-12"),
            deal(rep, f"{rep}-3", "initial_contact", 500.0, "2026-12-20"),
        ]
    return pd.DataFrame(rows)


def calls() -> pd.DataFrame:
    """Ann calls 80 of 100 (0.80, sandbagging), Bo 135 (1.35, over-calling), Cy 100; this
    quarter Ann calls in W47, Bo last in W44 (3 weeks old), Cy never."""
    rows = [
        ("2026-W02", "2026-Q1", "Ann", 80.0, "2026-01-05"),
        ("2026-W15", "2026-Q2", "Ann", 80.0, "2026-04-06"),
        ("2026-W02", "2026-Q1", "Bo", 135.0, "2026-01-05"),
        ("2026-W15", "2026-Q2", "Bo", 135.0, "2026-04-06"),
        ("2026-W47", "2026-Q4", "Ann", 300.0, "2026-11-16"),
        ("2026-W44", "2026-Q4", "Bo", 300.0, "2026-10-26"),
    ]
    frame = pd.DataFrame(rows, columns=["week", "period", "rep", "commit", "submitted"])
    frame["submitted"] = pd.to_datetime(frame["submitted"])
    return frame.assign(team="T", level="rep")


def context(with_calls: bool = True) -> WeekDiagnostics:
    return WeekDiagnostics(history(), W47, forecast_calls=calls() if with_calls else None)


def test_call_stale_finds_the_stale_and_the_missing_call() -> None:
    found = coaching_findings(context(), rules=["call_stale"])
    assert found["owner"].tolist() == ["Bo", "Cy"]
    assert found["value"].tolist()[0] == 3.0 and pd.isna(found["value"].tolist()[1])
    assert found["severity"].tolist() == [1, 2]
    assert found["reference"].tolist() == [1.0, 1.0]  # 7 days
    prompts = coaching_prompts(found, lang="en")
    assert "Your last forecast call is from 2026-W44, 3 weeks ago" in prompts.iloc[0]["observation"]
    assert (
        "You have not submitted a forecast call for 2026-Q4 yet" in prompts.iloc[1]["observation"]
    )
    zh = coaching_prompts(found, lang="zh")
    assert "你最近一次提交预测是 2026-W44，已经 3 周了" in zh.iloc[0]["observation"]
    assert "你还没有提交过 2026-Q4 的预测" in zh.iloc[1]["observation"]


def test_call_bias_finds_sandbagging_and_over_calling() -> None:
    found = coaching_findings(context(), rules=["call_bias"])
    assert found["owner"].tolist() == ["Ann", "Bo"]
    assert [round(v, 2) for v in found["value"]] == [0.8, 1.35]
    assert found["severity"].tolist() == [1, 2]  # 0.20 off 1; 0.35 off, more than 0.25
    assert [e["quarters"] for e in found["evidence"]] == [2, 2]
    en = coaching_prompts(found, lang="en")
    assert "80% of what you went on to win" in en.iloc[0]["observation"]
    assert "(sandbagging)" in en.iloc[0]["observation"]
    assert "(over-calling)" in en.iloc[1]["observation"]
    zh = coaching_prompts(found, lang="zh")
    assert "预测偏保守（压单）" in zh.iloc[0]["observation"]
    assert "过度乐观" in zh.iloc[1]["observation"]


def test_nothing_found_without_calls() -> None:
    assert coaching_findings(context(with_calls=False), rules=list(RULES)).empty


def test_the_weekly_review_reads_the_calls_stored(tmp_path: Path) -> None:
    """A review from the store (and from the batch's shared folder) gets the team's calls,
    so its coaching sheet can hold call_stale and call_bias."""
    store = tmp_path / "store"
    export = trimmed_export(SAMPLES / "north.csv", tmp_path / "exports")
    ingest_week([export], week=W47, store=store)
    reps = sorted(pd.read_parquet(next((store / "snapshots").glob("*.parquet")))["owner"].unique())
    calls = tmp_path / "calls.csv"
    calls.write_text(f"Team,Rep,Commit\nNorth,{reps[0]},1000\nWest,Wu,5\n", encoding="utf-8")
    store_forecast_calls(store, W47, read_forecast_calls(calls, week=W47))
    review = WeeklyReview.from_files(team="North", week=W47, store=str(store))
    assert review.context.forecast_calls is not None
    assert review.context.forecast_calls["rep"].tolist() == [reps[0]]  # North's only
    stale = coaching_findings(review.context, rules=["call_stale"])
    open_reps = set(review.context.open_deals["owner"])
    assert set(stale["owner"]) == open_reps - {reps[0]}
    assert stale["evidence"].map(lambda e: e["never"]).all()
    shared = tmp_path / "work"
    shared.mkdir()
    review.history.to_parquet(shared / "history.parquet", index=False)
    read_forecast_calls_stored(store, W47).to_parquet(shared / "forecast_calls.parquet")
    again = WeeklyReview.from_files(
        team="North", week=W47, history_path=str(shared / "history.parquet")
    )
    assert again.context.forecast_calls is not None
    assert again.context.forecast_calls["rep"].tolist() == [reps[0]]


def test_the_review_and_the_rule_read_one_call_bias(monkeypatch: Any) -> None:
    """The review's calls section and the coaching rule call_bias share the week's one
    :attr:`WeekDiagnostics.call_bias`: computed once, the same ratios in both."""
    import pipereview._weekcalls as weekcalls
    from pipereview.delivery._visibletext import html_text

    runs: list[object] = []
    real = weekcalls.call_bias

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append(real(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(weekcalls, "call_bias", counting)
    review = WeeklyReview(history(), team="T", week=W47, forecast_calls=calls())
    text = html_text(review.calls_section()._repr_html_())
    found = coaching_findings(review.context, rules=["call_bias"])
    assert len(runs) == 1 and review.context.call_bias is runs[0]
    assert [round(v, 2) for v in found["value"]] == [0.8, 1.35]
    assert "0.80: calls 20% below what was won" in text
    assert "1.35: calls 35% above what was won" in text

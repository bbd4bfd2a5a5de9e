"""The weekly review's sections: figures, language and escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import ConfigError
from pipereview.delivery._review import WeeklyReview

DUE = pd.Timestamp("2026-12-18")


def _history() -> pd.DataFrame:
    base = {
        "team": "North",
        "owner": "Ann",
        "account": "Acme",
        "stage_model": "generic_4",
        "currency": "EUR",
        "close_date": DUE,
        "probability": float("nan"),
    }
    rows = [
        # W46: D1 initial_contact 1,000; D2 needs_confirmed 4,000
        {
            **base,
            "snapshot_week": "2026-W46",
            "deal_id": "D1",
            "deal_name": "MES",
            "stage": "initial_contact",
            "amount": 1_000.0,
        },
        {
            **base,
            "snapshot_week": "2026-W46",
            "deal_id": "D2",
            "deal_name": "ERP",
            "stage": "needs_confirmed",
            "amount": 4_000.0,
        },
        # W47: D1 advanced to needs_confirmed; D2 won; D3 new, named like a script
        {
            **base,
            "snapshot_week": "2026-W47",
            "deal_id": "D1",
            "deal_name": "MES",
            "stage": "needs_confirmed",
            "amount": 1_000.0,
        },
        {
            **base,
            "snapshot_week": "2026-W47",
            "deal_id": "D2",
            "deal_name": "ERP",
            "stage": "won",
            "amount": 4_000.0,
            "close_date": pd.Timestamp("2026-11-18"),
        },
        {
            **base,
            "snapshot_week": "2026-W47",
            "deal_id": "D3",
            "deal_name": "<script>alert(1)</script>",
            "stage": "initial_contact",
            "amount": 2_000.0,
        },
        {
            **base,
            "snapshot_week": "2026-W47",
            "team": "West",
            "deal_id": "W1",
            "deal_name": "Other team",
            "stage": "initial_contact",
            "amount": 9_999.0,
        },
    ]
    return pd.DataFrame(rows)


def _targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": ["North", "West"],
            "owner": "",
            "period": "2026-Q4",
            "amount": [10_000.0, 1.0],
            "currency": "EUR",
        }
    )


def test_headline_figures_hand_computed(tmp_path: Path) -> None:
    review = WeeklyReview(_history(), team="North", week="2026-W47", targets=_targets())
    figures = review.headline()
    # open in W47: D1 1,000 (needs_confirmed, model probability 0.25) and D3 2,000
    # (initial_contact, 0.10): weighted 250 + 200 = 450; won D2 4,000 in 2026-Q4
    assert figures["open_deals"] == 2 and figures["open_amount"] == 3_000.0
    assert figures["weighted_pipeline"] == 450.0
    assert figures["won_amount"] == 4_000.0 and figures["new_deals"] == 1  # D3
    # target 10,000 (West's is not mixed in); expected 4,000 + 450 -> gap 5,550
    assert figures["target"] == 10_000.0 and figures["gap_to_target"] == 5_550.0
    path = review.write_headline(tmp_path / "headline.json")
    assert json.loads(path.read_text(encoding="utf-8"))["open_deals"] == 2


def test_sections_switch_language_and_escape_data() -> None:
    en = WeeklyReview(_history(), team="North", week="2026-W47", lang="en")
    zh = WeeklyReview(_history(), team="North", week="2026-W47", lang="zh")
    assert en.changes_section().title == "What changed since last week"
    assert zh.changes_section().title == "与上周相比的变化"
    assert (
        "阶段推进" in zh.changes_section().body and "advanced a stage" in en.changes_section().body
    )
    assert "未提供目标文件" in zh.forecast_section().body
    page = en.funnel_section()._repr_html_()
    assert "<svg" in page and "http" not in page.replace("http://www.w3.org", "")
    for review in (en, zh):
        for section in (review.risks_section(), review.coaching_section()):
            assert "<script>" not in section.body


def test_unknown_team_or_language_is_refused() -> None:
    with pytest.raises(
        ValueError, match="team 'East' has no snapshot in 2026-W47; teams that week: North, West"
    ):
        WeeklyReview(_history(), team="East", week="2026-W47")
    with pytest.raises(ConfigError, match="unknown language 'fr'; choose one of en, zh"):
        WeeklyReview(_history(), team="North", week="2026-W47", lang="fr")


def _north_targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": "North",
            "owner": [None, "Ann", "Bob"],
            "period": "2026-Q4",
            "currency": "EUR",
            "amount": [5000.0, 3000.0, 2000.0],
        }
    )


def test_each_chart_is_checked_by_its_data_computed_by_hand() -> None:
    """North: last week N1 1,000 and N2 400 open; this week N3 (200) is new, nothing else
    changed in amount: the waterfall runs 1,400 + 200 = 1,600; generic_4 weighs its first
    two stages 10% and 25%: 200 x 0.1 + 1,400 x 0.25 = 370."""
    from _dashboard_rows import two_teams

    review = WeeklyReview(two_teams(), team="North", week="2026-W47", targets=_north_targets())
    data = review.chart_data()
    assert sorted(data) == ["changes", "forecast", "forecast_by_rep", "funnel"]
    steps = data["changes"].set_index("step")
    assert steps.loc[["opening", "new", "closing"], "amount"].tolist() == [1400.0, 200.0, 1600.0]
    assert steps.loc[["opening", "closing"], "deals"].tolist() == [2, 3]
    assert steps.drop(["opening", "new", "closing"])["amount"].eq(0).all()
    funnel = data["funnel"].set_index("stage")
    assert funnel.loc["initial_contact", ["count", "amount"]].tolist() == [1, 200.0]
    assert funnel.loc["needs_confirmed", ["count", "amount"]].tolist() == [2, 1400.0]
    [team] = data["forecast"].to_dict("records")
    assert (team["target"], team["open_in_period"], team["weighted_in_period"]) == (
        5000.0,
        1600.0,
        370.0,
    )
    assert data["forecast_by_rep"][["owner", "target"]].values.tolist() == [
        ["Ann", 3000.0],
        ["Bob", 2000.0],
    ]
    # a first week has no changes chart; no targets, no forecast charts
    first = two_teams().query("snapshot_week == '2026-W46'")
    assert sorted(WeeklyReview(first, team="North", week="2026-W46").chart_data()) == ["funnel"]


def test_the_sections_draw_exactly_the_chart_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """One definition per chart: what a section hands its chart is what ``chart_data``
    gives, so checking the data checks the drawing's figures."""
    from _dashboard_rows import two_teams
    from pipereview import charts

    drawn: list[pd.DataFrame] = []
    for name in ("waterfall_chart", "funnel_chart", "forecast_chart"):
        original = getattr(charts, name)

        def capture(frame: pd.DataFrame, *args: object, _draw=original, **kwargs: object) -> object:
            drawn.append(frame)
            return _draw(frame, *args, **kwargs)

        monkeypatch.setattr(charts, name, capture)
    review = WeeklyReview(two_teams(), team="North", week="2026-W47", targets=_north_targets())
    for section in (review.changes_section, review.funnel_section, review.forecast_section):
        section()
    data = review.chart_data()
    pd.testing.assert_frame_equal(drawn[0], data["changes"])
    pd.testing.assert_frame_equal(
        drawn[1], data["funnel"].rename(columns={"count": "deals"}), check_like=True
    )
    pd.testing.assert_frame_equal(drawn[2], data["forecast"])
    pd.testing.assert_frame_equal(drawn[3], data["forecast_by_rep"])
    assert len(drawn) == 4


def test_every_value_from_the_data_is_shown_escaped_in_the_tables() -> None:
    # D3, named like a script and past its close date, is listed among the risks: its
    # name is on the page as text, never as markup
    history = _history()
    history.loc[history["deal_id"] == "D3", "close_date"] = pd.Timestamp("2026-10-01")
    review = WeeklyReview(history, team="North", week="2026-W47", lang="en")
    body = review.risks_section().body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>" not in body

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

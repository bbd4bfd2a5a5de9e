"""The team's coaching summary quotes each rep's first point from the rep's own sheet, as
the configuration builds it: in the coaching pack, the weekly review and the dashboard
alike, so the manager's overview never names a first point the rep's sheet does not
start with."""

from __future__ import annotations

import html

import pandas as pd
import pytest

from pipereview.coaching import team_sheets, team_summary
from pipereview.config import Config
from pipereview.delivery import WeeklyReview

W47 = "2026-W47"


def _history() -> pd.DataFrame:
    """Ann's two deals whose close dates have passed (one rule on two deals: a pattern
    only when ``coaching_pattern_deals`` is 2) and Bob's deal that is on time."""
    rows = []
    for week in ("2026-W46", W47):
        for deal, owner, close in (
            ("D1", "Ann", "2026-10-30"),
            ("D2", "Ann", "2026-11-06"),
            ("D3", "Bob", "2027-01-29"),
        ):
            rows.append(
                {
                    "snapshot_week": week,
                    "team": "North",
                    "deal_id": deal,
                    "deal_name": f"Deal {deal}",
                    "account": f"Account {deal}",
                    "owner": owner,
                    "stage": "solution_quote",
                    "stage_model": "generic_4",
                    "amount": 10_000.0,
                    "currency": "EUR",
                    "close_date": pd.Timestamp(close),
                    "created_date": pd.Timestamp("2026-08-03"),
                    "probability": 0.5,
                }
            )
    return pd.DataFrame(rows)


def _first_points(review: WeeklyReview) -> dict[str, str]:
    prompts = review.coaching_prompts
    sheets = team_sheets(prompts, "North", {"Ann", "Bob"}, as_of=W47, context=review.context)
    summary = team_summary(prompts, "North", as_of=W47, sheets=sheets)
    quoted = dict(zip(summary.reps["owner"], summary.reps["first_focus"], strict=True))
    for owner, sheet in sheets.items():
        if sheet.ranked:
            top = sheet.ranked[0]
            assert quoted[owner] == (top["pattern"] or top["findings"][0])["observation"]
    return quoted


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_summary_quotes_the_first_point_the_configuration_makes(lang: str) -> None:
    default = WeeklyReview(_history(), team="North", week=W47, lang=lang)
    paired = WeeklyReview(
        _history(), team="North", week=W47, lang=lang, config=Config(coaching_pattern_deals=2)
    )
    as_deals, as_pattern = _first_points(default), _first_points(paired)
    assert as_deals["Ann"] != as_pattern["Ann"]  # the setting changes Ann's first point
    for review, quoted in ((default, as_deals), (paired, as_pattern)):
        body = review.coaching_section().body
        summary_part = body[: body.index("<h", body.index("</table>"))]
        # the report's summary shows the first point of the sheet the report shows
        assert html.escape(quoted["Ann"]) in summary_part
        other = as_deals if quoted is as_pattern else as_pattern
        assert html.escape(other["Ann"]) not in summary_part

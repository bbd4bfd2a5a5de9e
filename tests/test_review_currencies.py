"""A team whose stored deals are in two currencies: the review adds no amounts and says why,
in the review's language (also when the same review is shown in the other language)."""

from __future__ import annotations

import pandas as pd
import pytest

from _forecastrows import deal_row, history
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._textlint import lint_text
from pipereview.delivery._visibletext import html_text

WEEK = "2026-W47"


def _two_currencies() -> pd.DataFrame:
    frame = history(
        [
            deal_row(WEEK, "D1", "negotiation", 100.0, "2026-12-20"),
            deal_row(WEEK, "D2", "needs_confirmed", 200.0, "2026-12-20", name="ERP"),
            deal_row(WEEK, "D3", "solution_quote", 300.0, "2026-12-20", name="WMS"),
        ]
    )
    frame.loc[frame["deal_id"] == "D3", "currency"] = "EUR"
    return frame


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "N holds deals in 2 currencies (EUR, USD); amounts in different currencies are "
            "never added, so the sums are left out. Deals not in USD: WMS (D3, EUR). Convert "
            "them to one currency in the exports (or give each currency its own team) and "
            "ingest again.",
        ),
        (
            "zh",
            "N 的商机使用了 2 种币种（EUR、USD）；不同币种的金额从不相加，因此省略了合计。"
            "不是 USD 的商机：WMS（D3，EUR）。请在导出文件中把它们换算成同一币种"
            "（或为每个币种各设一个团队），然后重新导入。",
        ),
    ],
)
def test_the_refusal_is_said_in_the_review_s_language(lang: str, said: str) -> None:
    review = WeeklyReview(_two_currencies(), team="N", week=WEEK, lang=lang)
    assert review.mixed_currencies == said
    assert review.headline()["refused"] == said
    funnel = html_text(review.funnel_section().body)
    assert said in funnel
    assert lint_text(funnel, lang, names=["N", "WMS", "D3", "ERP", "D1", "D2"]) == []


def test_the_same_review_in_the_other_language_says_it_in_that_language() -> None:
    english = WeeklyReview(_two_currencies(), team="N", week=WEEK, lang="en")
    assert english.mixed_currencies is not None and "holds deals in" in english.mixed_currencies
    chinese = english.in_language("zh")
    assert chinese.mixed_currencies is not None
    assert chinese.mixed_currencies.startswith("N 的商机使用了 2 种币种")
    assert english.mixed_currencies.startswith("N holds deals in 2 currencies")


def test_more_than_five_deals_outside_the_main_currency_are_counted_not_listed() -> None:
    rows = [deal_row(WEEK, f"U{i}", "negotiation", 10.0, "2026-12-20") for i in range(8)]
    rows += [deal_row(WEEK, f"E{i}", "negotiation", 10.0, "2026-12-20") for i in range(7)]
    frame = history(rows)
    frame.loc[frame["deal_id"].str.startswith("E"), "currency"] = "EUR"
    review = WeeklyReview(frame, team="N", week=WEEK, lang="en")
    assert review.mixed_currencies is not None
    assert "E4 (E4, EUR) and 2 more." in review.mixed_currencies
    assert "E5" not in review.mixed_currencies
    assert "，另有 2 个。" in review.in_language("zh").mixed_currencies  # type: ignore[operator]

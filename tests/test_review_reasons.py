"""The review's "Why the pipeline changed" section (WeeklyReview.reasons_section) on a small
hand-computed history, in English and Chinese: the summary by reason with signed words, each
reason's deals (largest first, the rest behind a click, CRM links, escaped values) and the
forecast-category matrix; "not available" without a forecast category."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from pipereview.config import Config
from pipereview.delivery import WeeklyReview

DAY = pd.Timestamp("2026-11-30")
LATE = pd.Timestamp("2027-01-15")
CRM = "https://crm.example/deal/{deal_id}"


def deal(deal_id: str, **values: Any) -> dict[str, Any]:
    row = {
        "team": "North",
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "owner": "Ann",
        "stage": "negotiation",
        "stage_model": "generic_4",
        "amount": 100_000.0,
        "currency": "USD",
        "close_date": DAY,
        "forecast_category": "commit",
    }
    return {**row, **values}


def small_history() -> pd.DataFrame:
    w47 = [
        deal("A"),
        deal("B", amount=200_000.0, deal_name="<b>Big</b> & co"),
        deal("C", amount=50_000.0, forecast_category="best_case"),
        deal("D", amount=30_000.0, forecast_category="pipeline"),
    ]
    w48 = [
        deal("A", stage="won", amount=110_000.0, forecast_category="closed"),
        deal("B", amount=150_000.0, close_date=LATE, deal_name="<b>Big</b> & co"),
        deal("C", amount=60_000.0),
        deal("E", amount=70_000.0, owner="Bob"),
    ]
    frames = [pd.DataFrame(w).assign(snapshot_week=f"2026-W{n}") for n, w in ((47, w47), (48, w48))]
    return pd.concat(frames, ignore_index=True)


def _section(lang: str, history: pd.DataFrame | None = None) -> Any:
    review = WeeklyReview(
        small_history() if history is None else history,
        team="North",
        week="2026-W48",
        lang=lang,
        config=Config(crm_url=CRM),
    )
    return review.reasons_section()


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_section_in_english() -> None:
    section = _section("en")
    assert section.title == "Why the pipeline changed" and section.anchor == "reasons"
    text = _text(section.body)
    # the period's pipeline: A 100k + B 200k + C 50k + D 30k = 380k → C 60k + E 70k = 130k
    assert "came to 380,000 USD in 2026-W47 and 130,000 USD in 2026-W48 (down 250,000 USD)" in text
    summary = section.body.split("<h3>")[1]  # the summary table
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", summary, re.S)
    assert rows == [
        ("new", "1", "adds 70,000 USD"),
        ("won", "1", "removes 100,000 USD"),
        ("dropped from the export", "1", "removes 30,000 USD"),
        ("pushed out of the period (slipped)", "1", "removes 200,000 USD"),
        ("amount raised", "2", "adds 10,000 USD"),
        ("amount lowered", "1", "no change"),
        ("into commit", "1", "moves 60,000 USD into commit"),
        ("out of best case", "1", "moves 50,000 USD out of best case"),
    ]
    # each reason's deals: the amounts and the change, escaped names, CRM links
    assert "won: 1 · removes 100,000 USD" in text
    assert "&lt;b&gt;Big&lt;/b&gt; &amp; co" in section.body and "<b>Big</b>" not in section.body
    assert '<a href="https://crm.example/deal/B"' in section.body
    assert "100,000 USD → 110,000 USD" in text
    assert "up 10,000 USD (20%) from 50,000 USD" in text  # C's amount, worded by its sign
    assert "down 50,000 USD (25%) from 200,000 USD" in text
    assert "best case → commit" in text
    # the matrix: rows this week's categories, columns next week's, deals · amount
    matrix = section.body.split("Forecast categories: 2026-W47 (rows) → 2026-W48 (columns)")[1]
    cells = _text(matrix)
    assert "commit 1 · 110,000 USD" not in cells  # the won cell sits under "won"
    assert re.search(r"commit — — — — 1 · 110,000 USD — — 1 · 150,000 USD", cells)
    assert re.search(r"best case 1 · 60,000 USD — — — — — — —", cells)
    assert re.search(r"pipeline — — — — — — 1 · 30,000 USD —", cells)
    assert re.search(r"not in the pipeline 1 · 70,000 USD — — — — — — —", cells)


def test_the_section_in_chinese() -> None:
    section = _section("zh")
    assert section.title == "管道变化的原因"
    text = _text(section.body)
    assert "在 2026-W47 为 380,000 USD，在 2026-W48 为 130,000 USD（减少 250,000 USD）" in text
    for words in (
        "新增",
        "赢单",
        "推迟出本期（滑单）",
        "增加 70,000 USD",
        "减少 200,000 USD",
        "转入承诺 60,000 USD",
        "比 50,000 USD 增加 10,000 USD（20%）",
        "移出最佳情况 50,000 USD",
        "预测类别：2026-W47（行）→ 2026-W48（列）",
        "不在管道中",
        "已消失（删除、合并或从导出中消失）",
    ):
        assert words in text, words
    assert "pushed" not in text and "commit" not in text
    unchanged = pd.concat(
        [small_history().iloc[:4], small_history().iloc[:4].assign(snapshot_week="2026-W48")]
    )
    body = WeeklyReview(unchanged, team="North", week="2026-W48", lang="zh").reasons_section().body
    assert "自 2026-W47 以来没有商机发生变化。" in body
    cells = _text(body.split("</h3>")[1])
    assert re.search(r"承诺 2 · 300,000 USD — — — — — — —", cells)  # A and B stay in commit
    assert re.search(r"最佳情况 — 1 · 50,000 USD — — — — — —", cells)


def test_no_forecast_category_and_one_week() -> None:
    h = small_history().drop(columns="forecast_category")
    en, zh = _section("en", h).body, _section("zh", h).body
    assert "not available: the export has no forecast category" in en
    assert "不可用：导出中没有预测类别" in zh
    assert "into commit" not in _text(en)
    one = WeeklyReview(small_history(), team="North", week="2026-W47", lang="en")
    assert one.reasons_section().body == "<p>First stored week: nothing to compare with yet.</p>"


def test_many_deals_of_a_reason_keep_the_rest_one_click_away() -> None:
    w47 = [deal(f"N{i}", amount=1000.0 * (i + 1)) for i in range(7)]
    w48 = [deal(f"N{i}", amount=1000.0 * (i + 1) + 500) for i in range(7)]
    h = pd.concat(
        [
            pd.DataFrame(w47).assign(snapshot_week="2026-W47"),
            pd.DataFrame(w48).assign(snapshot_week="2026-W48"),
        ],
        ignore_index=True,
    )
    body = _section("en", h).body
    assert "amount raised: 7 · adds 3,500 USD" in _text(body)
    assert "The 5 largest of 7 deals" in _text(body)
    shown, rest = body.split('<details class="more-deals">')
    assert shown.index(">N6<") < shown.index(">N2<")  # largest first
    assert ">N1<" in rest and ">N0<" in rest and ">N1<" not in shown


def test_the_section_reads_clean_in_both_languages() -> None:
    from pipereview.delivery._textlint import lint_text
    from pipereview.delivery._visibletext import html_text

    names = ["Ann", "Bob", "North", "<b>Big</b> & co", *(f"Deal {c}" for c in "ABCDE")]
    for lang in ("en", "zh"):
        text = html_text(_section(lang).body)
        assert lint_text(text, lang, names=names) == [], lang

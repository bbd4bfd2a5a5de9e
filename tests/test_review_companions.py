"""The review's "Activities and leads" and "Collections and customers" sections: the figures
of a small hand-built week in both languages, "not available" without an export, and the
sample's planted problems where a manager reads them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._textlint import lint_text
from pipereview.delivery._visibletext import html_text
from pipereview.history._companions import Companions

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples"


def _history() -> pd.DataFrame:
    """Two weeks of North: Ann's D1 moves from needs to solution, Bob's D2 stays."""
    weeks = (("2026-W46", "needs_confirmed"), ("2026-W47", "solution_quote"))
    return pd.concat(
        pd.DataFrame(
            {
                "snapshot_week": week,
                "team": "North",
                "deal_id": ["D1", "D2"],
                "deal_name": ["MES", "Line"],
                "account": ["Acme", "Beta"],
                "owner": ["Ann", "Bob"],
                "stage": [stage, "needs_confirmed"],
                "stage_model": "generic_4",
                "amount": [1000.0, 500.0],
                "currency": "EUR",
                "close_date": pd.Timestamp("2026-12-18"),
                "probability": [0.25, 0.25],
            }
        )
        for week, stage in weeks
    ).reset_index(drop=True)


def _companions() -> Companions:
    activities = pd.DataFrame(
        {
            "team": "North",
            "owner": ["Ann", "Bob", "Bob", "Bob"],
            "activity_type": ["call", "visit", "call", "meeting"],
            "activity_date": pd.to_datetime(
                ["2026-11-16", "2026-11-17", "2026-11-10", "2026-11-03"]
            ),
            "deal_id": ["D1", "D2", "D2", None],
        }
    )
    decided = [True] * 3 + [False] * 3 + [True] + [False] * 11
    leads = pd.DataFrame(
        {
            "team": "North",
            "owner": "Ann",
            "lead_source": ["Web"] * 6 + ["Fair"] * 12,
            "created_date": pd.Timestamp("2026-09-01"),
            "converted": pd.array(decided, dtype="boolean"),
            "disqualified": pd.array([not d for d in decided], dtype="boolean"),
        }
    )
    invoices = pd.DataFrame(
        {
            "team": "North",
            "owner": "Ann",
            "invoice_id": ["F1", "F2"],
            "account": ["Acme", "Beta"],
            "deal_id": ["D1", None],
            "currency": "EUR",
            "invoice_date": pd.to_datetime(["2026-08-01", "2026-09-20"]),
            "due_date": pd.to_datetime(["2026-09-01", "2026-10-05"]),
            "amount": [1000.0, 500.0],
            "paid_amount": [1000.0, 100.0],
            "paid_date": pd.to_datetime(["2026-09-05", None]),
        }
    )
    return Companions(activities=activities, leads=leads, invoices=invoices)


def _text(review: WeeklyReview) -> str:
    return "\n".join(
        html_text(s._repr_html_())
        for s in (review.activities_section(), review.collections_section())
    )


def test_the_sections_show_the_weeks_figures() -> None:
    review = WeeklyReview(_history(), team="North", week="2026-W47", companions=_companions())
    text = _text(review)
    # Ann 1 call, Bob 3 (norm: the median of 1 and 3 = 2); Ann's D1 advanced once
    # peers: the median of the team's other reps (Ann's is Bob's 3, Bob's Ann's 1)
    assert "Ann\t0\t0\t1\t0\t0\t0\t1\t0 · 0 · 0 · 1\t2\t3\tlow activity" in text
    assert "Bob\t1\t1\t1\t0\t0\t0\t3\t0 · 1 · 1 · 1\t2\t1\thigh activity" in text
    assert "\t1\t1.0\n" in text and "\t0\tno advance" in text
    # Fair: 1 of 12 decided converted (8%), below 30%; Web: 3 of 6, too few to judge
    assert "Fair\t12\t1\t11\t0\t12\t8%\tconverts below 30%: tighten lead screening" in text
    assert "Web\t6\t3\t3\t0\t6\t50%\ttoo few leads to judge" in text
    # 1,500 due by Sunday 22 November, 1,100 collected; F2 owes 400, 48 days overdue
    assert "Of 1,500 EUR due by 2026-11-22: 1,100 EUR collected, 400 EUR outstanding" in text
    assert "collection rate 73% (collection rate below target)" in text
    assert "Days sales outstanding: 72 days (400 EUR owed against 500 EUR invoiced" in text
    assert "F2\tBeta\t—\tAnn\t2026-10-05\t48\t400 EUR" in text
    assert lint_text(text, "en", names=["Ann", "Bob", "Acme", "Beta", "Web", "Fair", "F2"]) == []


def test_the_chinese_sections_read_as_chinese() -> None:
    review = WeeklyReview(
        _history(), team="North", week="2026-W47", lang="zh", companions=_companions()
    )
    text = _text(review)
    assert "活动量偏高" in text and "线索转化率低于 30%：收紧线索筛选" in text
    assert "回款率 73%（回款率低于目标）" in text and "逾期超过 30 天的发票：1 张" in text
    names = ["Ann", "Bob", "Acme", "Beta", "Web", "Fair", "F2", "EUR"]
    assert lint_text(text, "zh", names=names) == []


def test_without_the_exports_each_block_says_not_available() -> None:
    review = WeeklyReview(_history(), team="North", week="2026-W47")
    text = _text(review)
    for line in (
        "not available: no activities export",
        "not available: no leads export",
        "not available: no invoices export",
    ):
        assert line in text
    # on screen they say so; on paper (the report's print style) they are left off
    assert review.activities_section().css_class == "not-available"
    assert 'class="not-available"' in review.collections_section()._repr_html_()
    present = WeeklyReview(_history(), team="North", week="2026-W47", companions=_companions())
    assert present.activities_section().css_class == present.collections_section().css_class == ""
    zh = _text(WeeklyReview(_history(), team="North", week="2026-W47", lang="zh"))
    assert "无法分析：没有活动记录导出" in zh and "无法分析：没有开票回款导出" in zh


def test_a_leads_export_without_sources_says_not_checked() -> None:
    companions = _companions()
    leads = companions.leads
    assert leads is not None
    blank = Companions(leads=leads.assign(lead_source=None))
    text = _text(WeeklyReview(_history(), team="North", week="2026-W47", companions=blank))
    assert "not checked: the export has no lead source column" in text
    assert "Ann\t18\t4\t14\t0\t18\t22%\tconverts below 30%" in text  # by rep still shown


@pytest.fixture(scope="module")
def sample_reviews() -> dict[str, str]:
    return {
        team: _text(
            WeeklyReview.from_files(
                team=team, week="2026-W47", lang=lang, exports=str(SAMPLE / "exports")
            )
        )
        for team, lang in (("North", "en"), ("West", "en"), ("华东", "zh"))
    }


def test_the_samples_planted_problems_are_in_the_review(sample_reviews: dict[str, str]) -> None:
    north = next(
        line for line in sample_reviews["North"].splitlines() if line.startswith("Chris Walker")
    )
    assert "high activity" in north
    assert "Trade Show\t29\t3\t22\t4\t25\t12%\tconverts below 30%" in sample_reviews["West"]
    huadong = sample_reviews["华东"]
    assert "逾期超过 30 天的发票：1 张" in huadong and "\t45\t812,000" in huadong


def test_the_demos_store_and_the_batchs_shared_file_carry_them(
    sample_store: Path, tmp_path: Path
) -> None:
    """What `pipereview demo` stores, read back from the store and from the copy the batch
    hands its kernels: the same planted overdue invoice in both."""
    import shutil

    from pipereview.cli._sample import _store_demo_companions
    from pipereview.history import load_history, read_companions, write_shared_companions

    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    _store_demo_companions(SAMPLE, store)
    from_store = WeeklyReview.from_files(team="华东", week="2026-W47", lang="zh", store=str(store))
    work = tmp_path / "work"
    work.mkdir()
    load_history(store, last="2026-W47").to_parquet(work / "history.parquet", index=False)
    write_shared_companions(read_companions(store, "2026-W47"), work / "companions")
    from_batch = WeeklyReview.from_files(
        team="华东", week="2026-W47", lang="zh", history_path=str(work / "history.parquet")
    )
    for review in (from_store, from_batch):
        assert review.companions.available() == ("activities", "leads", "invoices")
        assert "\t45\t812,000 CNY" in _text(review)


def test_pipereview_coach_reads_them_from_the_store(sample_store: Path, tmp_path: Path) -> None:
    """The sheets `pipereview coach` writes hold the companion rules' findings: the North
    rep busy on deals that do not move, the 华东 invoice overdue."""
    import shutil

    from typer.testing import CliRunner

    from pipereview.cli import app
    from pipereview.cli._sample import _store_demo_companions

    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    _store_demo_companions(SAMPLE, store)
    out = tmp_path / "coaching"
    for team, lang in (("North", "en"), ("华东", "zh")):
        result = CliRunner().invoke(
            app,
            ["coach", "--store", str(store), "--team", team, "--lang", lang, "--out", str(out),
             "--no-log"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    north = (out / "2026-W47" / "North" / "Chris Walker.en.md").read_text(encoding="utf-8")
    assert "163 activities, 2.8 times the team's norm of 58.0" in north
    assert "14.8 activities per advance against the team's median of 3.4" in north
    sheets = [p.read_text(encoding="utf-8") for p in (out / "2026-W47" / "华东").glob("*.zh.md")]
    assert [s for s in sheets if "已逾期 45 天" in s and "81.2万元" in s], (
        "no sheet holds the invoice"
    )


def test_invoices_that_do_not_say_what_was_paid_are_not_judged() -> None:
    companions = _companions()
    invoices = companions.invoices
    assert invoices is not None
    unknown = Companions(invoices=invoices.assign(paid_amount=float("nan")))
    review = WeeklyReview(_history(), team="North", week="2026-W47", companions=unknown)
    text = _text(review)
    assert "not checked: the invoices export has no amount paid, amount due or payment" in text
    assert "overdue" not in text.replace("amount due", "")  # no invoice called overdue
    from pipereview.coaching import coaching_findings

    found = coaching_findings(review.context)
    assert "invoice_overdue" not in set(found["rule"])

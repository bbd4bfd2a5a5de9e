"""Results compared (docs/method.md, "Results compared"): the month and quarter to date
against the previous month / quarter and the same period last year, new against existing
customers and product lines, each figure computed by hand on a small history; the rule when
the history is short; the review's section and the dashboard's tab in both languages; the
product line column read from CSV and XLSX exports under each CRM's header and kept in the
store."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _budget import examples
from pipereview.core._stages import load_stage_model
from pipereview.dashboard import Dashboard, View
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._visibletext import html_text
from pipereview.diagnostics._periods import (
    change_text,
    comparison_spans,
    customer_kinds,
    results_compared,
    rollup_results,
    span_text,
)
from pipereview.ingest._columnmaps import REQUIRED_FIELDS, column_map_names, load_column_map
from pipereview.ingest._export import read_export
from pipereview.ingest._schema import validate_snapshot

W46 = "2026-W46"  # Monday 9 - Sunday 15 November 2026: the month to date is 1-15 November
DAY = pd.Timestamp


def _row(
    week: str, deal: str, stage: str, amount: float, close: str, created: str, **more: object
) -> dict[str, object]:
    return {
        "snapshot_week": week,
        "team": "North",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": more.pop("account", f"Account {deal}"),
        "owner": more.pop("owner", "Ann"),
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "USD",
        "close_date": DAY(close),
        "created_date": DAY(created),
        "probability": float("nan"),
        "forecast_category": "pipeline",
        **more,
    }


def _history() -> pd.DataFrame:
    """Stored weeks 2025-W44, 2025-W45, 2026-W41 and 2026-W46, by hand:

    - A won 100 on 5 Nov 2026 (Bob's; created 20 Oct): this month to date;
    - B won 80 on 10 Oct 2026: the previous month's same days (1-15 October);
    - D won 30 on 20 Oct 2026: this quarter, but after the 15th of October;
    - C won 50 on 3 Nov 2025: the same days last year;
    - E open 200, created 2 Nov 2026; F created 3 Oct 2026, open 60 in W41, lost since;
    - G open 40 in 2025-W45 (created 15 Sep 2025).
    """
    rows = [
        _row("2025-W44", "G", "negotiation", 40, "2025-12-01", "2025-09-15"),
        _row("2025-W44", "C", "negotiation", 50, "2025-11-20", "2025-10-01"),
        _row("2025-W45", "G", "negotiation", 40, "2025-12-01", "2025-09-15"),
        _row("2025-W45", "C", "won", 50, "2025-11-03", "2025-10-01"),
        _row("2026-W41", "B", "won", 80, "2026-10-10", "2026-09-01"),
        _row("2026-W41", "F", "initial_contact", 60, "2026-12-15", "2026-10-03"),
        _row("2026-W46", "A", "won", 100, "2026-11-05", "2026-10-20", owner="Bob"),
        _row("2026-W46", "D", "won", 30, "2026-10-20", "2026-09-20"),
        _row("2026-W46", "E", "needs_confirmed", 200, "2026-12-20", "2026-11-02"),
        _row("2026-W46", "F", "lost", 60, "2026-11-01", "2026-10-03"),
    ]
    return pd.DataFrame(rows)


def _span(results: pd.DataFrame, kind: str, span: str) -> pd.Series:
    row = results[(results["kind"] == kind) & (results["span"] == span)]
    assert len(row) == 1
    return row.iloc[0]


# --- the spans ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "kind", "expected"),
    [
        # Sunday 15 November 2026
        (
            "2026-W46",
            "month",
            [
                ("2026-11-01", "2026-11-15"),
                ("2026-10-01", "2026-10-15"),
                ("2025-11-01", "2025-11-15"),
            ],
        ),
        (
            "2026-W46",
            "quarter",
            [
                ("2026-10-01", "2026-11-15"),
                ("2026-07-01", "2026-08-15"),
                ("2025-10-01", "2025-11-15"),
            ],
        ),
        # Sunday 31 January 2027: the previous month is all of December, last year's January
        (
            "2027-W04",
            "month",
            [
                ("2027-01-01", "2027-01-31"),
                ("2026-12-01", "2026-12-31"),
                ("2026-01-01", "2026-01-31"),
            ],
        ),
        # Sunday 30 May 2027: 59 days into Q2, the previous quarter (90 days) to 30 March
        (
            "2027-W21",
            "quarter",
            [
                ("2027-04-01", "2027-05-30"),
                ("2027-01-01", "2027-03-01"),
                ("2026-04-01", "2026-05-30"),
            ],
        ),
        # Sunday 31 March 2030: February has 28 days, the previous month is cut there
        (
            "2030-W13",
            "month",
            [
                ("2030-03-01", "2030-03-31"),
                ("2030-02-01", "2030-02-28"),
                ("2029-03-01", "2029-03-31"),
            ],
        ),
        # Sunday 4 October 2026: the week began in September, the month to date is 1-4 October
        (
            "2026-W40",
            "month",
            [
                ("2026-10-01", "2026-10-04"),
                ("2026-09-01", "2026-09-04"),
                ("2025-10-01", "2025-10-04"),
            ],
        ),
    ],
)
def test_each_span_is_compared_at_the_same_point(
    week: str, kind: str, expected: list[tuple[str, str]]
) -> None:
    spans = comparison_spans(week)
    got = spans[spans["kind"] == kind]
    assert [
        (str(a.date()), str(b.date())) for a, b in zip(got["first"], got["last"], strict=True)
    ] == expected


# --- the figures, by hand -----------------------------------------------------------------


def test_month_over_month_and_year_over_year_by_hand() -> None:
    results = results_compared(_history(), W46)
    now, before, last_year = (
        _span(results, "month", s) for s in ("current", "previous", "last_year")
    )
    # won: A (100) this month to date; B (80) on 1-15 October (D, the 20th, is not); C (50)
    assert (now["won_amount"], now["won_deals"]) == (100.0, 1)
    assert (before["won_amount"], before["won_deals"]) == (80.0, 1)
    assert (last_year["won_amount"], last_year["won_deals"]) == (50.0, 1)
    assert change_text(now["won_amount"], before["won_amount"], "USD") == "up 25% from 80 USD"
    assert change_text(now["won_amount"], last_year["won_amount"], "USD") == "up 100% from 50 USD"
    # pipeline created: E (2 Nov, 200); F (3 Oct, 60: lost since, still created then); none
    assert (now["created_amount"], now["created_deals"]) == (200.0, 1)
    assert (before["created_amount"], before["created_deals"]) == (60.0, 1)
    assert (last_year["created_amount"], last_year["created_deals"]) == (0.0, 0)
    # open pipeline at each span's end: W46 (E), W41 (F: 11 October, the Sunday before the
    # 15th), 2025-W45 (G; C was won by then)
    assert (now["open_week"], now["open_amount"], now["open_deals"]) == (W46, 200.0, 1)
    assert (before["open_week"], before["open_amount"]) == ("2026-W41", 60.0)
    assert (last_year["open_week"], last_year["open_amount"]) == ("2025-W45", 40.0)
    assert now["covered"] and before["covered"] and last_year["covered"]


def test_quarter_to_date_and_a_span_the_history_does_not_cover() -> None:
    results = results_compared(_history(), W46)
    now = _span(results, "quarter", "current")
    assert (now["won_amount"], now["won_deals"]) == (210.0, 3)  # A + B + D
    before = _span(results, "quarter", "previous")  # 1 July - 15 August 2026: covered, none won
    assert before["covered"] and before["won_amount"] == 0.0
    assert pd.isna(before["open_amount"]) and before["open_week"] is None  # not stored
    # 1 October - 15 November 2025 starts before the first stored week (2025-W44, Monday 27
    # October): not covered, its figures are a lower bound
    last_year = _span(results, "quarter", "last_year")
    assert not last_year["covered"] and last_year["history_start"] == "2025-W44"
    assert last_year["won_amount"] == 50.0  # C, all the stored history knows


def test_a_short_history_says_where_it_starts_and_never_prints_a_zero() -> None:
    history = _history()
    short = history[history["snapshot_week"].str.startswith("2026")]
    results = results_compared(short, W46)
    assert not _span(results, "month", "previous")["covered"]  # 1 October < Monday 5 October
    assert not _span(results, "month", "last_year")["covered"]
    assert _span(results, "month", "current")["covered"]
    page = html_text(WeeklyReview(short, team="North", week=W46).results_section().body)
    assert "not available: the history starts 2026-W41" in page
    # the quarter to date starts before the history: what is known is a lower bound
    assert "Won\t100 USD\tnot available: the history starts 2026-W41" in page
    assert "\t≥ 210 USD\t" in page
    assert "up 25%" not in page  # never compared with a span the history does not cover
    zh = html_text(WeeklyReview(short, team="North", week=W46, lang="zh").results_section().body)
    assert "不可用：历史数据从 2026-W41 开始" in zh


def test_by_rep_alone_the_open_pipeline_is_read_from_the_stored_week() -> None:
    # grouped by owner without the team: Bob won A (100) this month; Ann's E (200) is the
    # open pipeline of W46, a stored week
    results = results_compared(_history(), W46, group_columns=("owner",))
    now = results[(results["kind"] == "month") & (results["span"] == "current")]
    assert now[["owner", "won_amount", "open_amount", "open_deals", "open_week"]].to_dict(
        "records"
    ) == [
        {
            "owner": "Ann",
            "won_amount": 0.0,
            "open_amount": 200.0,
            "open_deals": 1.0,
            "open_week": W46,
        },
        {
            "owner": "Bob",
            "won_amount": 100.0,
            "open_amount": 0.0,
            "open_deals": 0.0,
            "open_week": W46,
        },
    ]


def test_a_team_whose_week_is_not_stored_has_no_open_pipeline_figure() -> None:
    # South is stored in 2026-W41 only: its open pipeline at W46 is unknown (NaN, no week),
    # not zero, while North's is E (200); at 11 October (W41) South's S (90) is open
    south = _row("2026-W41", "S", "negotiation", 90, "2026-12-01", "2026-09-01", team="South")
    results = results_compared(pd.concat([_history(), pd.DataFrame([south])]), W46)
    month = results[results["kind"] == "month"].set_index(["team", "span"])
    assert month.loc[("North", "current"), ["open_amount", "open_week"]].tolist() == [200.0, W46]
    now = month.loc[("South", "current")]
    assert pd.isna(now["open_amount"]) and pd.isna(now["open_deals"]) and now["open_week"] is None
    assert month.loc[("South", "previous"), ["open_amount", "open_week"]].tolist() == [
        90.0,
        "2026-W41",
    ]


def test_by_rep_the_figures_add_up_to_the_team() -> None:
    results = results_compared(_history(), W46, group_columns=("team", "owner"))
    bob = results[(results["owner"] == "Bob") & (results["kind"] == "month")]
    assert bob.set_index("span")["won_amount"].to_dict() == {
        "current": 100.0,
        "previous": 0.0,
        "last_year": 0.0,
    }
    team = rollup_results(results, ["team"])
    assert team.equals(rollup_results(results_compared(_history(), W46), ["team"]))


def test_the_rollup_sums_each_figure_and_counts_deals_in_whole_numbers() -> None:
    span = {
        "kind": "month",
        "span": "current",
        "first": pd.Timestamp("2026-11-01"),
        "last": pd.Timestamp("2026-11-15"),
        "covered": True,
        "history_start": "2026-W36",
    }
    results = pd.DataFrame(
        {
            "team": ["T", "T", "U"],
            "owner": ["A", "B", "C"],
            **span,
            "open_week": ["2026-W46", "2026-W46", None],  # U's week not stored
            "won_amount": [1.0, 2.0, 0.0],
            "won_deals": [1, 1, 0],
            "created_amount": [0.0, 4.0, 0.0],
            "created_deals": [0, 1, 0],
            "open_amount": [5.0, 5.0, float("nan")],
            "open_deals": [1.0, 2.0, float("nan")],
        }
    )
    expected = pd.DataFrame(
        {
            "team": ["T", "U"],
            **span,
            "open_week": pd.Series(["2026-W46", None], dtype="object"),
            "won_amount": [3.0, 0.0],
            "won_deals": pd.Series([2, 0], dtype="int64"),
            "created_amount": [4.0, 0.0],
            "created_deals": pd.Series([1, 0], dtype="int64"),
            "open_amount": [10.0, float("nan")],
            "open_deals": [3.0, float("nan")],
        }
    )
    pd.testing.assert_frame_equal(rollup_results(results, ["team"]), expected)


@pytest.mark.parametrize(
    ("current", "previous", "lang", "text"),
    [
        (100, 80, "en", "up 25% from 80 USD"),
        (40, 50, "en", "down 20% from 50 USD"),
        (80, 80, "en", "unchanged at 80 USD"),
        (30, 0, "en", "up 30 USD from 0 USD"),
        (0, 30, "en", "down 100% from 30 USD"),
        (100, 80, "zh", "比 80 USD 增加 25%"),
        (40, 50, "zh", "比 50 USD 减少 20%"),
        (80, 80, "zh", "与 80 USD 持平"),
    ],
)
def test_a_change_is_worded_by_its_sign(
    current: float, previous: float, lang: str, text: str
) -> None:
    assert change_text(current, previous, "USD", lang) == text


# --- new and existing customers -----------------------------------------------------------


def _customers() -> pd.DataFrame:
    """Acme won X (closed 10 Sep 2026); Y (created 1 Oct, after it) is an existing
    customer's, Z (created 1 Sep, before it) a new one's; Beta's W is won but Beta had no
    earlier win: new; V has no account."""
    return pd.DataFrame(
        [
            _row("2026-W37", "X", "won", 500, "2026-09-10", "2026-08-01", account="Acme Ltd"),
            _row("2026-W46", "X", "won", 500, "2026-09-10", "2026-08-01", account="Acme Ltd"),
            _row(
                "2026-W46", "Y", "negotiation", 300, "2026-12-10", "2026-10-01", account="ACME LTD."
            ),
            _row(
                "2026-W46", "Z", "negotiation", 200, "2026-12-10", "2026-09-01", account="Acme Ltd"
            ),
            _row("2026-W46", "W", "won", 120, "2026-11-05", "2026-10-01", account="Beta"),
            _row("2026-W46", "V", "initial_contact", 70, "2026-12-10", "2026-10-01", account=None),
        ]
    )


def test_a_span_is_printed_from_its_first_to_its_last_day() -> None:
    first, last = DAY("2026-11-01"), DAY("2026-11-15")
    assert span_text(first, last) == "2026-11-01 to 2026-11-15"
    assert span_text(first, last, "zh") == "2026-11-01 至 2026-11-15"


def test_new_and_existing_customers_by_hand() -> None:
    history = _customers()
    kinds = customer_kinds(history, W46)
    latest = history["snapshot_week"] == W46
    assert dict(zip(history.loc[latest, "deal_id"], kinds[latest], strict=True)) == {
        "X": "new",  # its own win does not make its account an existing customer
        "Y": "existing",  # Acme won X on 10 Sep, before Y was created (names folded)
        "Z": "new",  # created before X was won
        "W": "new",
        "V": "no_account",
    }
    review = WeeklyReview(history, team="North", week=W46)
    page = html_text(review.results_section().body)
    lines = {
        line.split("\t")[0]: line.split("\t")[1:] for line in page.splitlines() if "\t" in line
    }
    # won this quarter to date (W, 120; X closed in Q3), deals won, open pipeline, open deals
    assert lines["New customers"] == ["120 USD", "1", "200 USD", "1"]
    assert lines["Existing customers"] == ["0 USD", "0", "300 USD", "1"]
    assert lines["No account given"] == ["0 USD", "0", "70 USD", "1"]
    assert "existing customers are a lower bound" in page
    zh = html_text(review.in_language("zh").results_section().body)
    assert "老客户\t0 USD\t0\t300 USD\t1" in zh and "老客户为下限" in zh


def test_without_created_dates_no_customer_is_existing() -> None:
    # nothing says when Y or Z was created: neither can follow Acme's win; V has no account
    kinds = customer_kinds(_customers().drop(columns="created_date"), W46)
    assert kinds.tolist() == ["new", "new", "new", "new", "new", "no_account"]


def test_a_deal_flagged_without_an_account_is_no_account_whatever_the_name() -> None:
    # the export had no account for Y (account_missing), whatever the name column holds
    history = _customers().assign(account_missing=False)
    history.loc[history["deal_id"] == "Y", "account_missing"] = True
    kinds = customer_kinds(history, W46)
    assert kinds.tolist() == ["new", "new", "no_account", "new", "new", "no_account"]


def test_no_account_column_says_not_available() -> None:
    history = _customers().assign(account=None, account_missing=True)
    page = html_text(WeeklyReview(history, team="North", week=W46).results_section().body)
    assert "New and existing customers: not available: the export has no account column" in page
    zh = html_text(WeeklyReview(history, team="North", week=W46, lang="zh").results_section().body)
    assert "新老客户：不可用：导出文件中没有“客户”列" in zh


# --- product lines ------------------------------------------------------------------------


def _products() -> pd.DataFrame:
    lines = {
        "A": "Packaging",
        "B": "Packaging",
        "C": "Robots",
        "D": "Robots",
        "E": "Packaging",
        "F": "",
        "G": "Robots",
    }
    history = _history()
    return history.assign(product_line=history["deal_id"].map(lines))


def test_product_lines_by_hand() -> None:
    results = results_compared(_products(), W46, group_columns=("team", "product_line"))
    month = results[results["kind"] == "month"].set_index(["product_line", "span"])
    # Packaging: A won 100 now, B 80 on 1-15 October; E open 200 now
    assert month.loc[("Packaging", "current"), "won_amount"] == 100.0
    assert month.loc[("Packaging", "previous"), "won_amount"] == 80.0
    assert month.loc[("Packaging", "current"), "open_amount"] == 200.0
    # Robots: C won 50 last year; G open 40 then, nothing open now
    assert month.loc[("Robots", "last_year"), "won_amount"] == 50.0
    assert month.loc[("Robots", "last_year"), "open_amount"] == 40.0
    assert month.loc[("Robots", "current"), "open_amount"] == 0.0
    assert month.loc[("", "previous"), "open_amount"] == 60.0  # F had no product line
    page = html_text(WeeklyReview(_products(), team="North", week=W46).results_section().body)
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in page.splitlines() if "\t" in line}
    assert rows["Packaging"] == [
        "100 USD",
        "up 25% from 80 USD",
        "up 100 USD from 0 USD",
        "200 USD",
        "up 200 USD from 0 USD",
        "up 200 USD from 0 USD",
    ]
    assert rows["Robots"][:3] == ["0 USD", "unchanged at 0 USD", "down 100% from 50 USD"]
    zh = html_text(
        WeeklyReview(_products(), team="North", week=W46, lang="zh").results_section().body
    )
    assert "Packaging\t100 USD\t比 80 USD 增加 25%" in zh


def test_without_the_product_line_column_says_not_available() -> None:
    page = html_text(WeeklyReview(_history(), team="North", week=W46).results_section().body)
    assert "Product lines: not available: the export has no product line column" in page
    zh = html_text(
        WeeklyReview(_history(), team="North", week=W46, lang="zh").results_section().body
    )
    assert "产品线：不可用：导出文件中没有“产品线”列" in zh


# --- the section and the tab ---------------------------------------------------------------


def test_the_section_holds_the_team_s_figures_in_both_languages() -> None:
    review = WeeklyReview(_history(), team="North", week=W46)
    section = review.results_section()
    assert section.anchor == "results" and section.title == "Results compared"
    page = html_text(section.body)
    won = next(line for line in page.splitlines() if line.startswith("Won\t")).split("\t")
    # month to date, against October, against last year; quarter to date, against Q3
    # (nothing won), against Q4 2025 (not covered)
    assert won[1:] == [
        "100 USD",
        "up 25% from 80 USD",
        "up 100% from 50 USD",
        "210 USD",
        "up 210 USD from 0 USD",
        "not available: the history starts 2025-W44",
    ]
    assert "Bob\t100 USD\tup 100 USD from 0 USD" in page  # won by rep
    assert review.headline()["won_amount"] == 210.0  # one figure: won this quarter to date
    zh = review.in_language("zh").results_section()
    assert zh.title == "业绩对比"
    text = html_text(zh.body)
    assert "赢单金额\t100 USD\t比 80 USD 增加 25%\t比 50 USD 增加 100%" in text
    assert "不可用：历史数据从 2025-W44 开始" in text


def test_the_dashboard_tab_shows_the_same_tables_for_the_team_and_a_rep() -> None:
    board = Dashboard(_history(), team="North", week=W46)
    titles = [board.controls["tabs"].get_title(i) for i in range(6)]
    assert titles[3] == "Results compared"  # in the tab bar, after the funnel
    board.show_tab("results")  # drawn when shown
    assert "Won\t100 USD" in html_text(board.controls["body_results"].value)
    team = html_text(board.render("results", View("North", W46)))
    assert "Won\t100 USD\tup 25% from 80 USD\tup 100% from 50 USD" in team
    assert "Won by rep" in team
    bob = html_text(board.render("results", View("North", W46, rep="Bob")))
    assert "Won\t100 USD\tup 100 USD from 0 USD" in bob and "Won by rep" not in bob
    ann = html_text(board.render("results", View("North", W46, rep="Ann", lang="zh")))
    # Ann's: B (80) on 1-15 October, nothing this month
    assert "赢单金额\t0 USD\t比 80 USD 减少 100%" in ann


# --- the product line column of an export ---------------------------------------------------

#: The headers each shipped map reads as ``product_line``.
HEADERS: dict[str, tuple[str, ...]] = {
    "salesforce_report": ("Product Line", "Product Family"),
    "salesforce_dataloader": ("Product_Line__c", "Product_Family__c", "Product Line"),
    "hubspot": ("Product Line", "product_line"),
    "odoo": ("Product Line",),
    "dynamics": ("Product Line",),
    "chinese_crm": ("产品线", "产品类别", "产品"),
}
_CELLS = {
    "deal_id": "D-1",
    "deal_name": "Packaging line",
    "owner": "Ann Lee",
    "amount": "12000",
    "close_date": "2026-12-15",
    "created_date": "2026-10-01",
}


def _export_rows(name: str, header: str | None) -> tuple[list[str], list[list[str]]]:
    cmap = load_column_map(name)
    model = load_stage_model(cmap.stage_model)
    fields = [*REQUIRED_FIELDS, *(["status"] if "status" in cmap.columns else [])]
    cells = {**_CELLS, "stage": model.known_names()[0], "status": "Open"}
    head = [cmap.columns[f][0] for f in fields]
    rows = [[cells[f] for f in fields], [{**cells, "deal_id": "D-2"}[f] for f in fields]]
    if header is not None:
        head.append(header)
        rows[0].append("Packaging")
        rows[1].append("")
    return head, rows


def test_every_shipped_map_reads_the_product_line() -> None:
    assert sorted(HEADERS) == column_map_names()
    for name, headers in HEADERS.items():
        assert load_column_map(name).columns["product_line"] == headers, name


@pytest.mark.parametrize(("name", "header"), [(n, h) for n, hs in HEADERS.items() for h in hs])
def test_each_crm_s_header_is_read_as_the_product_line_from_csv(
    tmp_path: Path, name: str, header: str
) -> None:
    head, rows = _export_rows(name, header)
    path = tmp_path / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([head, *rows])
    result = read_export(path, week=W46)
    assert result.ok, result.report.summary()
    assert result.report.column_map == name
    assert result.snapshot["product_line"].tolist()[0] == "Packaging"
    assert pd.isna(result.snapshot["product_line"].tolist()[1])  # a blank cell: none given
    validate_snapshot(result.snapshot)


@pytest.mark.parametrize(
    ("name", "header"), [("dynamics", "Product Line"), ("chinese_crm", "产品线")]
)
def test_the_product_line_is_read_from_xlsx_and_kept_in_the_store(
    tmp_path: Path, name: str, header: str
) -> None:
    from openpyxl import Workbook

    from pipereview.history import SnapshotStore, ingest_week

    head, rows = _export_rows(name, header)
    book = Workbook()
    for line in [head, *rows]:
        book.active.append(line)
    path = tmp_path / f"{name}.xlsx"
    book.save(path)
    ingest_week([path], week=W46, store=tmp_path / "store", column_map=name)
    history = SnapshotStore(tmp_path / "store").history()
    assert history["product_line"].tolist()[0] == "Packaging"


def test_an_export_without_the_column_has_none(tmp_path: Path) -> None:
    head, rows = _export_rows("hubspot", None)
    path = tmp_path / "hubspot.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([head, *rows])
    result = read_export(path, week=W46)
    assert "product_line" not in result.snapshot.columns  # not a blank column: not recorded


def test_the_section_is_a_list_of_blocks() -> None:
    from pipereview.delivery._reviewresults import results_blocks

    review = WeeklyReview(_products(), team="North", week=W46)
    blocks = results_blocks(review)
    assert len(blocks) == 5 and "".join(blocks) == review.results_section().body
    assert re.search(r"<h3>Product lines</h3>", blocks[-2])
    assert blocks[-1].startswith("<h3>Accounts by value and potential (ABC)</h3>")
    rep = results_blocks(review, rep="Ann")  # a rep's: no reps' table and no accounts
    assert len(rep) == 3 and "<h3>Accounts" not in "".join(rep)


# --- invariants ---------------------------------------------------------------------------

_WEEKS = ("2026-W36", "2026-W41", "2026-W44", "2026-W46")
_DEALS = st.lists(
    st.tuples(
        st.sampled_from(_WEEKS),
        st.integers(0, 11),  # deal
        st.sampled_from(["initial_contact", "negotiation", "won", "lost"]),
        st.integers(1, 50).map(lambda n: n * 100.0),
        st.integers(0, 120),  # close: days from 1 Aug 2026
        st.integers(0, 100),  # created: days from 1 Jul 2026
        st.sampled_from(["Ann", "Bob", "Cy"]),
        st.sampled_from(["Acme", "Beta", "Core", None]),
        st.sampled_from(["Packaging", "Robots", None]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=examples(12), deadline=None)
@given(_DEALS)
def test_every_split_adds_up_to_the_team(deals: list[tuple[object, ...]]) -> None:
    rows = [
        _row(
            str(week),
            f"D{deal}",
            str(stage),
            float(amount),  # type: ignore[arg-type]
            str(DAY("2026-08-01") + pd.Timedelta(days=int(close)).to_pytimedelta()),  # type: ignore[call-overload]
            str(DAY("2026-07-01") + pd.Timedelta(days=int(made)).to_pytimedelta()),  # type: ignore[call-overload]
            owner=owner,
            account=account,
            product_line=line,
        )
        for week, deal, stage, amount, close, made, owner, account, line in deals
    ]
    history = pd.DataFrame(rows).drop_duplicates(["snapshot_week", "deal_id"])
    from pipereview.diagnostics._periods import with_customers

    columns = ("team", "owner", "customer", "product_line")
    finest = results_compared(with_customers(history, W46), W46, group_columns=columns)
    team = results_compared(history, W46).set_index(["kind", "span"])
    for split in (["team"], ["team", "owner"], ["team", "customer"], ["team", "product_line"]):
        summed = rollup_results(finest, split).groupby(["kind", "span"])
        for figure in ("won_amount", "won_deals", "created_amount", "created_deals"):
            assert summed[figure].sum().to_dict() == pytest.approx(team[figure].to_dict())
    # the month to date lies within the quarter to date
    assert (
        team.loc[("month", "current"), "won_amount"]
        <= team.loc[("quarter", "current"), "won_amount"]
    )

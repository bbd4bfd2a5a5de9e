"""The review's accounts block: classes, revenue, service levels and the accounts below
them hand-computed on a small team, in English and Chinese, and the wording when the
export has no account, activity or potential column."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipereview.delivery import WeeklyReview
from pipereview.delivery._reviewaccounts import accounts_html


def _deal(
    deal: str,
    name: str,
    account: str | None,
    stage: str,
    amount: float,
    close: str,
    **extra: object,
) -> dict[str, object]:
    return {
        "snapshot_week": "2026-W47",
        "team": "North",
        "deal_id": deal,
        "deal_name": name,
        "account": account,
        "owner": "Ann",
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": "EUR",
        "close_date": pd.Timestamp(close),
        "created_date": pd.Timestamp("2026-06-01"),
        **extra,
    }


def _activity(day: str) -> dict[str, object]:
    return {"last_activity_date": pd.Timestamp(day)}


@pytest.fixture
def team() -> pd.DataFrame:
    """Won in the last 52 weeks: Acme 8,000, Beta 1,000, Core 1,000. Open: Acme's two deals
    last touched 2026-11-07 (15 days before Sunday 2026-11-22), Dyn's 3,000 on 2026-10-23
    (30 days), one deal without an account."""
    return pd.DataFrame(
        [
            _deal("W1", "Press", "Acme", "won", 8000.0, "2026-10-01", **_activity("2026-10-01")),
            _deal("W2", "Dryer", "Beta", "won", 1000.0, "2026-09-01", **_activity("2026-09-01")),
            _deal("W3", "Oven", "Core", "won", 1000.0, "2026-08-01", **_activity("2026-08-01")),
            _deal("W4", "Old", "Core", "won", 9000.0, "2025-11-23", **_activity("2025-11-23")),
            _deal(
                "O1",
                "Line 2",
                "Acme",
                "negotiation",
                500.0,
                "2026-12-18",
                **_activity("2026-11-07"),
            ),
            _deal(
                "O2",
                "Spare parts",
                "Acme",
                "needs_confirmed",
                100.0,
                "2026-12-18",
                **_activity("2026-11-07"),
            ),
            _deal(
                "O3",
                "MES",
                "Dyn",
                "needs_confirmed",
                3000.0,
                "2027-01-29",
                **_activity("2026-10-23"),
            ),
            _deal(
                "O4",
                "Trial",
                None,
                "initial_contact",
                50.0,
                "2027-01-29",
                **_activity("2026-11-20"),
            ),
        ]
    )


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " | ", page))


def test_classes_revenue_and_service_by_hand(team: pd.DataFrame) -> None:
    review = WeeklyReview(team, team="North", week="2026-W47")
    classes = review.context.accounts.set_index("account")
    # W4 closed 2025-11-23, exactly 52 weeks before the Sunday: outside the window.
    # Revenue 10,000 of three accounts: the cap is one, Acme (8,000) is A. Dyn's pipeline
    # 3,000 >= 5% of 10,000 + 3,650 (682.50): B. Beta and Core: no pipeline, C.
    assert classes["abc"].to_dict() == {"Acme": "A", "Beta": "C", "Core": "C", "Dyn": "B"}
    assert classes.loc["Core", "won_amount"] == 1000.0
    assert set(classes["unassigned_deals"]) == {1}
    service = review.context.account_service.set_index("account")
    # Acme: 15 days > 14 (A); Dyn: 30 days, exactly B's interval: covered
    assert service["below_service"].to_dict() == {"Acme": True, "Dyn": False}
    assert service.loc["Acme", "deal_ids"] == ("O1", "O2")  # largest first
    text = _text(accounts_html(review))
    assert "| A (value) | | 1 | | 8,000 EUR | | 80% | | 600 EUR |" in text
    assert "senior owner, frequent coverage; contact at least every 14 days" in text
    assert "| 1 of 1 with open deals |" in text and "| 0 of 1 with open deals |" in text
    assert "| no account with open deals |" in text  # C: Beta and Core have no open deal
    assert (
        "Acme (A): 15 days without activity on its open deals (at most 14): "
        "O1 Line 2, O2 Spare parts; owner Ann" in text
    )
    assert "not available: no account potential; B by growth in open pipeline" in text
    assert "open pipeline 3,000 EUR against won 0 EUR" in text
    assert "C: 2 other account(s), standard service (not listed)." in text
    assert "1 deal(s) won in the last 52 weeks or open have no account" in text


def test_chinese_wording(team: pd.DataFrame) -> None:
    text = _text(accounts_html(WeeklyReview(team, team="North", week="2026-W47", lang="zh")))
    assert "客户分级（ABC：价值与潜力）" in text
    assert "资深销售负责，高频覆盖；至少每 14 天联系一次" in text
    assert (
        "Acme（A 类）：在跟商机已 15 天无跟进（最多 14 天）：O1 Line 2、O2 Spare parts；负责人 Ann"
        in text
    )
    assert "不可用：没有客户潜力列；B 类按在跟商机的增长判断" in text
    assert "有在跟商机的 1 个客户中 1 个" in text


def test_potential_column(team: pd.DataFrame) -> None:
    # Beta's potential 5,000 less its 1,000 won: room 4,000; the others have none given
    rows = team.assign(account_potential=[None, 5000.0, *[None] * 6])
    review = WeeklyReview(rows, team="North", week="2026-W47")
    classes = review.context.accounts.set_index("account")
    assert classes.loc["Beta", ["abc", "abc_reason", "growth_room"]].tolist() == [
        "B",
        "potential",
        4000.0,
    ]
    text = _text(accounts_html(review))
    assert "Growth room: the account potential" in text
    assert "potential 5,000 EUR less won 1,000 EUR: growth room 4,000 EUR" in text
    assert "| Potential |" in text


def test_flat_revenue_names_the_accounts_left_out_of_a() -> None:
    rows = pd.DataFrame(
        [_deal(f"W{i}", "Deal", f"Acct {i}", "won", 100.0, "2026-10-01") for i in range(10)]
    )
    text = _text(accounts_html(WeeklyReview(rows, team="North", week="2026-W47")))
    assert "| A (value) | | 0 |" in text
    assert (
        "Within the first 80% of the revenue but not A: Acct 0, Acct 1, Acct 2, Acct 3, "
        "Acct 4, Acct 5, Acct 6, Acct 7 (their revenue equals that of accounts left out, "
        "and equal revenue is not split)." in text
    )


def test_no_activity_dates_is_not_checked(team: pd.DataFrame) -> None:
    text = _text(
        accounts_html(
            WeeklyReview(team.drop(columns="last_activity_date"), team="North", week="2026-W47")
        )
    )
    assert text.count("not checked: no last activity date") == 3
    assert "Accounts below their service level" not in text


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "not available: no account column (add it to the export or to the column map)"),
        ("zh", "不可用：导出文件中没有“客户”列（请在导出文件或列映射中补上）"),
    ],
)
def test_no_account_column(team: pd.DataFrame, lang: str, line: str) -> None:
    rows = team.assign(account=None, account_missing=True)
    page = accounts_html(WeeklyReview(rows, team="North", week="2026-W47", lang=lang))
    assert line in page
    assert "<table" not in page


@pytest.mark.parametrize(("accounts", "hidden"), [(3, 0), (4, 1), (11, 8)])
def test_the_first_three_a_and_b_accounts_are_shown_the_rest_one_click_away(
    accounts: int, hidden: int
) -> None:
    # one account won 1,000,000 (A); the others won 100 each with 10,000 open (B by room):
    # with a_accounts 1.0 and b_accounts 1.0 every one of them is listed
    from dataclasses import replace

    from pipereview.config import Config

    rows = [_deal("W0", "Big", "Acc 0", "won", 1_000_000.0, "2026-10-01")]
    for k in range(1, accounts):
        rows.append(_deal(f"W{k}", "Small", f"Acc {k}", "won", 100.0, "2026-10-01"))
        rows.append(_deal(f"O{k}", "Open", f"Acc {k}", "needs_confirmed", 10_000.0, "2026-12-18"))
    config = Config()
    config = replace(config, accounts=replace(config.accounts, a_accounts=1.0, b_accounts=1.0))
    review = WeeklyReview(pd.DataFrame(rows), team="North", week="2026-W47", config=config)
    page = accounts_html(review)
    listed = page.split("</table>")[1]  # the A and B accounts, after the table by class
    assert listed.count("<td>Acc ") == min(accounts, 3)
    if hidden:
        assert f"<summary>{hidden} more A and B accounts</summary>" in page
        assert page.split("<details")[1].count("<td>Acc ") == hidden
    else:
        assert "<details" not in page

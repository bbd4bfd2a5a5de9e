"""The dashboard's search box: the changes and deals-at-risk tables keep the deals whose
name, account, rep or deal ID contains the text (any case), say so when none does, and
the search is part of the view (its tabs are drawn again, the others kept)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _dashboard_rows import deal_row
from pipereview.dashboard import Dashboard, View
from pipereview.dashboard.tabs import matching


@pytest.fixture
def board() -> Dashboard:
    """North, two weeks: five deals whose close date has passed (flagged), four of them
    moved (pushed) this week; names chosen so searches overlap."""
    names = {"A1": "Acme MES", "A2": "ACME ERP", "B1": "Beta MES", "C1": "Gamma CRM", "D1": "Delta"}
    owners = {"A1": "Ann", "A2": "Bob", "B1": "Ann", "C1": "Cy", "D1": "Cy"}
    rows = []
    for deal, name in names.items():
        rows.append(
            deal_row(
                "2026-W46", "North", deal, owners[deal], "negotiation", 1000.0, "2026-10-01", name
            )
        )
        close = "2026-10-01" if deal == "D1" else "2026-11-02"
        rows.append(
            deal_row("2026-W47", "North", deal, owners[deal], "negotiation", 1000.0, close, name)
        )
    return Dashboard(pd.DataFrame(rows), team="North")


def _names(page: str) -> list[str]:
    return sorted(set(re.findall(r"<td>((?:Acme|ACME|Beta|Gamma|Delta)[^<]*)</td>", page)))


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("", ["ACME ERP", "Acme MES", "Beta MES", "Delta", "Gamma CRM"]),
        ("acme", ["ACME ERP", "Acme MES"]),  # any case
        ("  mes ", ["Acme MES", "Beta MES"]),  # surrounding spaces
        ("ann", ["Acme MES", "Beta MES"]),  # the rep
        ("account c1", ["Gamma CRM"]),  # the account
        ("d1", ["Delta"]),  # the deal ID
        (".*", []),  # a text, never a pattern
    ],
)
def test_the_risk_table_keeps_the_deals_that_match(
    board: Dashboard, search: str, found: list[str]
) -> None:
    board.controls["search"].value = search
    page = board.tab_html("risks")
    assert _names(page.split("Stage ahead")[0]) == found
    if not found:
        assert f"No deal matches “{search}”." in page


def test_the_changes_table_is_searched_and_the_search_is_part_of_the_view(board: Dashboard) -> None:
    pushed = _names(board.tab_html("changes"))
    assert pushed == ["ACME ERP", "Acme MES", "Beta MES", "Gamma CRM"]  # Delta did not move
    board.controls["search"].value = "Beta"
    assert board.view.search == "Beta"
    assert _names(board.tab_html("changes")) == ["Beta MES"]
    assert board.view.key("changes")[6] == "Beta" and board.view.key("funnel")[6] == ""
    board.controls["search"].value = "delta"
    assert "No deal matches “delta”." in board.tab_html("changes")
    board.controls["search"].value = ""
    assert _names(board.tab_html("changes")) == pushed


def test_matching_reads_missing_values_as_blank() -> None:
    deals = pd.DataFrame(
        {
            "deal_name": ["MES", None],
            "account": [None, "Acme"],
            "owner": "Ann",
            "deal_id": [pd.NA, "D2"],
        }
    )
    assert matching(deals, "acme").index.tolist() == [1]
    assert matching(deals, "none").empty and matching(deals, "nan").empty
    assert View("North", "2026-W47", search="x").search == "x"

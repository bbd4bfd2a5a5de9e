"""Boundary tests of the matching, risk, plan and read-limit settings and of the
configuration's own windows: each threshold exactly at its value, just below and just
above, at its default where a small case reaches it and at another value, checked on what
a user sees (a match taken or left for review, a risk flag, a plan alert, an export read
or refused, a follow-up date, a deal counted in a window).

Matching scores are rounded to 4 decimals, so a pair built to score exactly a threshold
does, and its neighbours score a step of 0.0001 (or a day of close date) either side.
"""

from __future__ import annotations

import datetime
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook

from _boundaries import boundary
from pipereview.coaching.pack import _team_files
from pipereview.coaching.prompts import PromptTemplates
from pipereview.config import Config
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._aging import RiskSettings, deal_risks
from pipereview.diagnostics._figures import plan_deviation
from pipereview.diagnostics._targets import PlanSettings, progress
from pipereview.history._matching import MatchSettings, match_deals
from pipereview.ingest._export import read_export
from pipereview.ingest._limits import ReadLimits, format_size
from pipereview.week import WeekDiagnostics

WEEK = "2026-W47"
AS_OF = Week.parse(WEEK)
AS_OF_DAY = pd.Timestamp("2026-11-22")  # the Sunday ending 2026-W47
CLOSE = pd.Timestamp("2026-11-30")

#: a previous deal's method ("fuzzy", or "" when left unmatched), score and review flag
Verdict = tuple[str, float, bool]


# --- matching -----------------------------------------------------------------------------
#
# A deal's pair differs from it only where a test says. Same name, amount, owner and
# close date score 1; a pair's score is 0.5 name + 0.2 amount + 0.15 owner + 0.15 close
# date (the default weights), so e.g. close dates d days apart (of 180) score
# 0.85 + 0.15 * (1 - d / 180): 0.9 at 120 days, 0.95 at 60, 0.85 from 180 on. Each case
# of a test is a customer of its own, so the cases matched in one call never compete.


def _deal(deal_id: str, **changes: Any) -> dict[str, Any]:
    days = changes.pop("days", 0)
    row = {
        "deal_id": deal_id,
        "deal_name": "MES upgrade",
        "account": "Acme",
        "owner": "Ann",
        "amount": 100.0,
        "close_date": CLOSE + pd.Timedelta(days=days),
    }
    row.update(changes)
    return row


Customer = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _match(customers: list[Customer], **settings: Any) -> pd.DataFrame:
    """The matches of each customer's deals of last week and of this week."""
    prev: list[dict[str, Any]] = []
    curr: list[dict[str, Any]] = []
    for number, (before, after) in enumerate(customers):
        for side, deals in ((prev, before), (curr, after)):
            side += [
                {**deal, "account": f"Acme {number}", "deal_id": f"{deal['deal_id']}-{number}"}
                for deal in deals
            ]
    return match_deals(pd.DataFrame(prev), pd.DataFrame(curr), settings=MatchSettings(**settings))


def _verdicts(changes: list[dict[str, Any]], **settings: Any) -> list[Verdict]:
    """Of each pair of a deal and one with ``changes``: the method (``fuzzy``, or ``""``
    when left unmatched), the score and whether it is flagged ambiguous for review."""
    result = _match([([_deal("P")], [_deal("C", **c)]) for c in changes], **settings)
    return [
        (str(method), float(score), bool(ambiguous))
        for method, score, ambiguous in result[["method", "score", "ambiguous"]]
        .iloc[: len(changes)]
        .itertuples(index=False)
    ]


@boundary("matching.threshold")
@pytest.mark.parametrize(
    ("threshold", "changes", "expected"),
    [
        # another owner (0) and 75 of 100 (0.75): 0.5 + 0.2 * 0.75 + 0.15 = 0.8
        (
            0.8,
            [{"owner": "Bob", "amount": a} for a in (74.95, 75.0, 75.05)],
            [("", 0.7999, True), ("fuzzy", 0.8, False), ("fuzzy", 0.8001, False)],
        ),
        # close dates 120 days apart: 0.9
        (
            0.9,
            [{"days": d} for d in (121, 120, 119)],
            [("", 0.8992, True), ("fuzzy", 0.9, False), ("fuzzy", 0.9008, False)],
        ),
    ],
)
def test_a_pair_scoring_exactly_the_threshold_is_matched(
    threshold: float, changes: list[dict[str, Any]], expected: list[Verdict]
) -> None:
    assert _verdicts(changes, threshold=threshold) == expected


def _with_alternative(days: int) -> Customer:
    """A deal, its pair ``days`` of close date apart (0.9 at 120 days, 0.95 at 60) and
    another free candidate, 200 days apart, scoring 0.85."""
    return [_deal("P")], [_deal("C0", days=days), _deal("C1", days=200)]


def _pair_verdicts(result: pd.DataFrame) -> list[tuple[str, bool]]:
    """Method and review flag of each last week's deal."""
    kept = result[result["prev_row"].notna()]
    return list(zip(kept["method"], kept["ambiguous"].astype(bool), strict=True))


@boundary("matching.margin")
@pytest.mark.parametrize(
    ("margin", "days"),
    [
        # 0.9008 / 0.8992: the alternative is 0.0508 / 0.0492 below
        (0.05, (119, 121)),
        # 0.9508 / 0.9492: 0.1008 / 0.0992 below
        (0.1, (59, 61)),
    ],
)
def test_an_alternative_less_than_margin_below_makes_the_pair_ambiguous(
    margin: float, days: tuple[int, int]
) -> None:
    result = _match([_with_alternative(d) for d in days], margin=margin)
    assert _pair_verdicts(result) == [("fuzzy", False), ("", True)]


@boundary("matching.margin")
@pytest.mark.parametrize(("margin", "days"), [(0.05, 120), (0.1, 60)])
def test_an_alternative_exactly_margin_below_leaves_the_pair_matched(
    margin: float, days: int
) -> None:
    # one rule for every alternative: ambiguous when it loses less than margin
    result = _match([_with_alternative(days)], margin=margin)
    assert _pair_verdicts(result) == [("fuzzy", False)]


def _swappable(cross_days: int) -> Customer:
    """Two deals and their pairs, each 60 days of close date apart (0.95); swapping
    partners pairs deals ``cross_days`` apart (0.925 at 90 days, 0.9 at 120). On a line of
    days: P0 at 0, C0 at 60, P1 at 60 - cross_days, C1 at -cross_days."""
    prev = [_deal("P0"), _deal("P1", days=60 - cross_days)]
    return prev, [_deal("C0", days=60), _deal("C1", days=-cross_days)]


@boundary("matching.margin")
@pytest.mark.parametrize(
    ("cross_days", "margins"),
    [
        (90, (0.0499, 0.05, 0.0501)),  # the swap loses 2 x 0.025 of total score
        (120, (0.0999, 0.1, 0.1001)),  # 2 x 0.05
    ],
)
def test_a_swap_losing_exactly_margin_leaves_both_pairs_matched(
    cross_days: int, margins: tuple[float, float, float]
) -> None:
    below, at, above = (_pair_verdicts(_match([_swappable(cross_days)], margin=m)) for m in margins)
    assert below == at == [("fuzzy", False), ("fuzzy", False)]
    assert above == [("", True), ("", True)]


@boundary("matching.floor")
@pytest.mark.parametrize(
    ("floor", "changes"),
    [
        # another owner, amount 0 of 100: 0.5 + 0.15 * (1 - d / 180): 0.6 at 60 days
        (0.6, [{"owner": "Bob", "amount": 0.0, "days": d} for d in (61, 60, 59)]),
        # the same owner, amount 0 of 100: 0.65 + 0.15 * (1 - d / 180): 0.7 at 120 days
        (0.7, [{"amount": 0.0, "days": d} for d in (121, 120, 119)]),
    ],
)
def test_an_unmatched_pair_scoring_exactly_the_floor_is_shown_as_a_possible_match(
    floor: float, changes: list[dict[str, Any]]
) -> None:
    result = _match([([_deal("P")], [_deal("C", **c)]) for c in changes], floor=floor)
    shown = result.iloc[:3]
    assert shown["method"].tolist() == ["", "", ""]
    assert shown["ambiguous"].tolist() == [False, True, True]
    assert shown["score"].round(4).fillna(-1).tolist() == [-1, floor, floor + 0.0008]
    # the possible match named is the pair this week (row 1 and 2 of this week's deals)
    assert shown["candidate_row"].fillna(-1).tolist() == [-1, 1, 2]


@boundary("matching.close_date_days")
@pytest.mark.parametrize(
    ("close_date_days", "nearer"),
    [(180, ("fuzzy", 0.8508, False)), (30, ("fuzzy", 0.855, False))],
)
def test_close_dates_exactly_close_date_days_apart_score_nothing(
    close_date_days: int, nearer: Verdict
) -> None:
    # a day nearer scores 0.15 / close_date_days; threshold 0.8505 matches only then
    changes = [{"days": close_date_days + d} for d in (-1, 0, 1)]
    verdicts = _verdicts(changes, close_date_days=close_date_days, threshold=0.8505)
    assert verdicts == [nearer, ("", 0.85, True), ("", 0.85, True)]


# A pair differing only in one similarity (scoring 0 there) scores the other weights'
# share of all four: exactly the threshold 0.8 when that weight is a quarter of the
# others' sum (name: 0.125 of 0.5; amount: 0.2 of 0.8, its default; owner and close
# date: 0.2125 of 0.85). A larger weight costs the pair its match, a smaller one keeps it.
_DIFFERS_IN: dict[str, dict[str, Any]] = {
    "name_weight": {"deal_name": "xxxx"},  # no character of "MES upgrade"
    "amount_weight": {"amount": 0.0},
    "owner_weight": {"owner": "Bob"},
    "close_date_weight": {"days": 400},
}


@boundary(
    "matching.name_weight",
    "matching.amount_weight",
    "matching.owner_weight",
    "matching.close_date_weight",
)
@pytest.mark.parametrize(
    ("weight", "value", "expected"),
    [
        (weight, at + step, verdict)
        for weight, at in [
            ("name_weight", 0.125),
            ("amount_weight", 0.2),
            ("owner_weight", 0.2125),
            ("close_date_weight", 0.2125),
        ]
        for step, verdict in [
            (-0.001, "fuzzy"),
            (0.0, "fuzzy"),
            (0.001, ""),
        ]
    ],
)
def test_a_pair_differing_only_in_one_similarity_loses_that_weight(
    weight: str, value: float, expected: str
) -> None:
    [(method, score, _)] = _verdicts([_DIFFERS_IN[weight]], **{weight: value})
    assert method == expected
    others = 1.0 - getattr(MatchSettings(), weight)  # the defaults sum to 1
    assert score == round(others / (others + value), 4)


# --- risk ---------------------------------------------------------------------------------


def _row(week: Week | str, deal: str, stage: str, **values: Any) -> dict[str, Any]:
    row = {
        "snapshot_week": str(week),
        "team": "T",
        "owner": "Ann",
        "deal_id": deal,
        "deal_name": deal,
        "account": "Acme",
        "stage": stage,
        "stage_model": "generic_4",
        "amount": 100.0,
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-31"),
        "last_activity_date": AS_OF_DAY - pd.Timedelta(days=1),
    }
    row.update(values)
    return row


def _risks(rows: list[dict[str, Any]], **settings: Any) -> pd.DataFrame:
    """The risks of the deals as of W47, in the order of their IDs."""
    risks = deal_risks(pd.DataFrame(rows), as_of=WEEK, settings=RiskSettings(**settings))
    return risks.sort_values("deal_id").reset_index(drop=True)


@boundary("risk.stalled_days")
@pytest.mark.parametrize("stalled_days", [30, 21])
def test_exactly_stalled_days_without_activity_is_stalled(stalled_days: int) -> None:
    ages = (stalled_days - 1, stalled_days, stalled_days + 1)
    rows = [
        _row(WEEK, f"D{n}", "initial_contact", last_activity_date=AS_OF_DAY - pd.Timedelta(days=a))
        for n, a in enumerate(ages)
    ]
    risks = _risks(rows, stalled_days=stalled_days)
    assert risks["days_since_activity"].tolist() == list(ages)
    assert risks["stalled"].tolist() == [False, True, True]
    assert ["stalled" in r for r in risks["risks"]] == [False, True, True]


@boundary("risk.push_limit")
@pytest.mark.parametrize("push_limit", [2, 3])
def test_exactly_push_limit_pushes_is_pushed_often(push_limit: int) -> None:
    # deal D<n> has its close date moved 10 days later in each of its last n weeks
    pushes = (push_limit - 1, push_limit, push_limit + 1)
    rows = [
        _row(
            AS_OF - (n - i),
            f"D{n}",
            "initial_contact",
            close_date=pd.Timestamp("2026-12-01") + pd.Timedelta(days=10 * i),
        )
        for n in pushes
        for i in range(n + 1)
    ]
    risks = _risks(rows, push_limit=push_limit)
    assert risks["push_count"].tolist() == list(pushes)
    assert risks["pushed_often"].tolist() == [False, True, True]
    assert ["pushed_often" in r for r in risks["risks"]] == [False, True, True]


@boundary("risk.min_durations")
@pytest.mark.parametrize("min_durations", [10, 3])
def test_exactly_min_durations_stays_set_the_limit_to_the_teams_p75(min_durations: int) -> None:
    # in team T<n>, n deals spent one week (7 days) in needs_confirmed; the team's deal D
    # has been there since the first stored week (21 days as of W47): past the team's 7,
    # not the model's 21
    rows = []
    for stays in (min_durations - 1, min_durations, min_durations + 1):
        team = {"team": f"T{stays:02d}"}
        stages = ["initial_contact", "needs_confirmed", "solution_quote", "solution_quote"]
        rows += [
            _row(f"2026-W{44 + i}", f"S{stays}-{n}", stage, **team)
            for n in range(stays)
            for i, stage in enumerate(stages)
        ]
        rows += [
            _row(f"2026-W{w}", f"D{stays:02d}", "needs_confirmed", **team) for w in range(44, 48)
        ]
    risks = _risks(rows, min_durations=min_durations)
    deals = risks[risks["deal_id"].str.startswith("D")]
    assert deals["limit_source"].tolist() == ["model", "team_p75", "team_p75"]
    assert deals["limit_days"].tolist() == [21.0, 7.0, 7.0]
    assert deals["past_typical"].tolist() == [False, True, True]


# --- plan ---------------------------------------------------------------------------------


@boundary("plan.alert_threshold")
def test_a_deviation_of_exactly_the_alert_threshold_is_on_plan() -> None:
    # half of 100 planned; won 35 is 15 points below, 65 is 15 points above
    won = pd.Series([34.9999, 35.0, 35.0001, 64.9999, 65.0, 65.0001])
    shares = plan_deviation(won, pd.Series([50.0] * 6), pd.Series([100.0] * 6), 0.15)
    assert shares["status"].tolist() == [
        "below plan",
        "on plan",
        "on plan",
        "on plan",
        "on plan",
        "above plan",
    ]


@boundary("plan.alert_threshold")
@pytest.mark.parametrize(
    ("threshold", "won"),
    [
        # 2026-Q4 target 6600, 3700 planned by W47 (37 of 66 working days): 15 points of
        # the target are 990, 10 points 660
        (0.15, (2709.99, 2710.0, 2710.01, 4689.99, 4690.0, 4690.01)),
        (0.10, (3039.99, 3040.0, 3040.01, 4359.99, 4360.0, 4360.01)),
    ],
)
def test_progress_exactly_alert_threshold_points_off_plan_does_not_alert(
    threshold: float, won: tuple[float, ...]
) -> None:
    # one team per amount won, each with the same target
    teams = [f"N{n}" for n in range(len(won))]
    history = pd.DataFrame(
        [
            _row(
                WEEK,
                f"A{n}",
                "won",
                team=team,
                amount=amount,
                close_date=pd.Timestamp("2026-10-20"),
            )
            for n, (team, amount) in enumerate(zip(teams, won, strict=True))
        ]
    )
    targets = pd.DataFrame(
        {"team": teams, "owner": "", "period": "2026-Q4", "amount": 6600.0, "currency": "EUR"}
    )
    out = progress(
        history, targets, "2026-Q4", WEEK, settings=PlanSettings(alert_threshold=threshold)
    )
    assert out["plan_to_date"].tolist() == [3700.0] * 6
    assert out["status"].tolist() == ["behind", "on plan", "on plan", "on plan", "on plan", "ahead"]
    assert out["alert"].tolist() == [True, False, False, False, False, True]


# --- read limits --------------------------------------------------------------------------

CSV_HEADER = [
    "ID",
    "Opportunity",
    "Customer",
    "Salesperson",
    "Sales Team",
    "Stage",
    "Expected Revenue",
    "Currency",
    "Expected Closing",
    "Created on",
    "Next Activity Summary",
]
XLSX_HEADER = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Opportunity Owner",
    "Stage",
    "Amount",
    "Close Date",
    "Created Date",
]


def _csv_record(deal: int, note: str = "Call back") -> str:
    cells = [f"D{deal}", f"Deal {deal}", f"Customer {deal}", "Ann Lee", "Europe", "Qualified"]
    return ",".join([*cells, str(1000 * deal), "EUR", "2026-12-15", "2026-11-02", note])


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
    return path


def _xlsx_row(deal: int, name: str = "") -> list[object]:
    return [
        f"OPP-{deal:05d}",
        name or f"Deal {deal}",
        f"Account {deal}",
        "Ann Lee",
        "Needs Analysis",
        1000 * deal,
        datetime.datetime(2026, 12, 1),
        datetime.datetime(2026, 9, 1),
    ]


def _xlsx(path: Path, rows: list[list[object]], header: list[str] = XLSX_HEADER) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _read(path: Path, **limits: int) -> list[str] | str:
    """The deal IDs read from ``path`` under ``limits``, or the refusal's message and hint."""
    try:
        result = read_export(path, week=WEEK, limits=ReadLimits(**limits))
    except InputError as error:
        return f"{error} {error.hint}"
    return [str(d) for d in result.snapshot["deal_id"]]


@boundary("limits.max_cell_bytes")
@pytest.mark.parametrize(
    ("note", "records", "read"),
    [
        ("x" * 199, 2, True),
        ("x" * 200, 2, True),
        ("x" * 201, 2, False),
        ("é" * 100, 2, True),  # 200 bytes in UTF-8, 100 characters
        ("é" * 100 + "x", 2, False),
        # the last of 40 records: past the lines read to find the header
        ("x" * 200, 40, True),
        ("x" * 201, 40, False),
    ],
)
def test_a_cell_of_exactly_max_cell_bytes_is_read(
    tmp_path: Path, note: str, records: int, read: bool
) -> None:
    lines = [",".join(CSV_HEADER)] + [_csv_record(n) for n in range(1, records)]
    lines.append(_csv_record(records, note))
    outcome = _read(_csv(tmp_path, lines), max_cell_bytes=200)
    if read:
        assert outcome == [f"D{n}" for n in range(1, records + 1)]
    else:
        assert isinstance(outcome, str)
        assert f"line {records + 1}" in outcome
        assert "more than the limit of 200 bytes for one cell" in outcome
        assert "max_cell_bytes" in outcome


@boundary("limits.max_cell_bytes")
@pytest.mark.parametrize(("size", "read"), [(199, True), (200, True), (201, False)])
def test_a_workbook_cell_of_exactly_max_cell_bytes_is_read(
    tmp_path: Path, size: int, read: bool
) -> None:
    path = _xlsx(
        tmp_path / "deals.xlsx", [_xlsx_row(1), _xlsx_row(2, "é" * (size // 2) + "x" * (size % 2))]
    )
    outcome = _read(path, max_cell_bytes=200)
    if read:
        assert outcome == ["OPP-00001", "OPP-00002"]
    else:
        assert isinstance(outcome, str)
        assert (
            "the cell B3 holds 201 bytes of text, beyond the limit max_cell_bytes = 200" in outcome
        )


@boundary("limits.max_columns")
@pytest.mark.parametrize(("limit", "read"), [(10, False), (11, True), (12, True)])
def test_a_header_of_exactly_max_columns_is_read(tmp_path: Path, limit: int, read: bool) -> None:
    # 11 columns in either file
    csv_path = _csv(tmp_path, [",".join(CSV_HEADER), _csv_record(1)])
    header = [*XLSX_HEADER, "Region", "Source", "Notes"]
    xlsx_path = _xlsx(tmp_path / "deals.xlsx", [_xlsx_row(1)], header)
    outcomes = _read(csv_path, max_columns=limit), _read(xlsx_path, max_columns=limit)
    if read:
        assert outcomes == (["D1"], ["OPP-00001"])
    else:
        assert "holds 11 columns" in outcomes[0] and "limit of 10 columns" in outcomes[0]
        assert "has 11 columns, more than the limit of 10 (max_columns)" in outcomes[1]
        assert all("max_columns" in outcome for outcome in outcomes)


@boundary("limits.max_rows")
@pytest.mark.parametrize(("limit", "read"), [(2, False), (3, True), (4, True)])
def test_exactly_max_rows_rows_header_included_are_read(
    tmp_path: Path, limit: int, read: bool
) -> None:
    # a header and two records: three rows
    csv_path = _csv(tmp_path, [",".join(CSV_HEADER), _csv_record(1), _csv_record(2)])
    xlsx_path = _xlsx(tmp_path / "deals.xlsx", [_xlsx_row(1), _xlsx_row(2)])
    outcomes = _read(csv_path, max_rows=limit), _read(xlsx_path, max_rows=limit)
    if read:
        assert outcomes == (["D1", "D2"], ["OPP-00001", "OPP-00002"])
    else:
        assert "holds 3 rows, more than the limit of 2" in outcomes[0]
        assert "beyond the limit max_rows = 2" in outcomes[1]
        assert all("max_rows" in outcome for outcome in outcomes)


@boundary("limits.max_title_line_bytes")
@pytest.mark.parametrize(
    ("limit", "title", "read"),
    [(300, 299, True), (300, 300, True), (300, 301, False), (150, 150, True), (150, 151, False)],
)
def test_a_title_line_of_exactly_max_title_line_bytes_is_read(
    tmp_path: Path, limit: int, title: int, read: bool
) -> None:
    # the header line itself is 128 bytes
    path = _csv(tmp_path, ["T" * title, ",".join(CSV_HEADER), _csv_record(1)])
    outcome = _read(path, max_title_line_bytes=limit)
    if read:
        assert outcome == ["D1"]
    else:
        assert isinstance(outcome, str)
        assert f"line 1 is {title} bytes long" in outcome
        assert f"more than the limit of {limit} bytes for a line among the first 30" in outcome
        assert "max_title_line_bytes" in outcome


@boundary("limits.max_title_line_bytes")
@pytest.mark.parametrize(("size", "read"), [(299, True), (300, True), (301, False)])
def test_a_record_among_the_first_lines_is_held_to_max_title_line_bytes(
    tmp_path: Path, size: int, read: bool
) -> None:
    # the header is looked for in the first 30 lines: a record there is held to the limit
    # (the refusal says so)
    short = _csv_record(2, "")
    record = _csv_record(2, "x" * (size - len(short)))
    assert len(record) == size
    path = _csv(tmp_path, [",".join(CSV_HEADER), _csv_record(1), record])
    outcome = _read(path, max_title_line_bytes=300, max_cell_bytes=1000)
    if read:
        assert outcome == ["D1", "D2"]
    else:
        assert isinstance(outcome, str)
        assert f"line 3 is {size} bytes long" in outcome
        assert "for a line among the first 30, where the header is looked for" in outcome


def _unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(part.file_size for part in archive.infolist())


@boundary("limits.max_xlsx_uncompressed_bytes")
@pytest.mark.parametrize(("over", "read"), [(-1, False), (0, True), (1, True)])
def test_a_workbook_unpacking_to_exactly_max_xlsx_uncompressed_bytes_is_read(
    tmp_path: Path, over: int, read: bool
) -> None:
    path = _xlsx(tmp_path / "deals.xlsx", [_xlsx_row(1)])
    size = _unpacked_size(path)
    outcome = _read(path, max_xlsx_uncompressed_bytes=size + over)
    if read:
        assert outcome == ["OPP-00001"]
    else:
        assert isinstance(outcome, str)
        assert (
            f"more than the limit of {format_size(size - 1)} (max_xlsx_uncompressed_bytes)"
            in outcome
        )


def _deflated_size(data: bytes) -> int:
    """Bytes of ``data`` deflated as :mod:`zipfile` packs a part."""
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return len(packer.compress(data) + packer.flush())


def _padded_to_whole_ratio(path: Path) -> int:
    """Pad the sheet XML of the workbook ``path`` with blanks between its elements to over
    1 MB (the size from which the ratio is checked) such that it unpacks exactly a whole
    number of times its packed size; that number."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    blanks = 1_200_000
    for _ in range(100):
        sheet = head + b"</sheetData>" + b" " * blanks + tail
        packed = _deflated_size(sheet)
        if len(sheet) % packed == 0:
            break
        blanks += packed - len(sheet) % packed
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size % part.compress_size == 0
    return part.file_size // part.compress_size


@boundary("limits.max_xlsx_compression_ratio")
def test_a_part_unpacking_exactly_max_xlsx_compression_ratio_times_is_read(
    tmp_path: Path,
) -> None:
    path = _xlsx(tmp_path / "deals.xlsx", [_xlsx_row(1)])
    ratio = _padded_to_whole_ratio(path)
    unpacked = {"max_xlsx_uncompressed_bytes": _unpacked_size(path)}
    assert _read(path, max_xlsx_compression_ratio=ratio, **unpacked) == ["OPP-00001"]
    assert _read(path, max_xlsx_compression_ratio=ratio + 1, **unpacked) == ["OPP-00001"]
    refused = _read(path, max_xlsx_compression_ratio=ratio - 1, **unpacked)
    assert isinstance(refused, str)
    assert f"unpacks {ratio} times its packed size" in refused
    assert f"more than the limit of {ratio - 1} (max_xlsx_compression_ratio)" in refused


# --- the configuration's own settings -----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["follow_up_days", "window_weeks", "cohort_weeks", "coaching_items"]
)
@boundary("follow_up_days", "window_weeks", "cohort_weeks", "coaching_items")
def test_zero_is_refused_and_one_and_more_accepted(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a whole number of at least 1, got 0"):
        Config().replace(**{name: 0})
    with pytest.raises(ConfigError, match=f"pipereview.yaml: {name} must be .* at least 1"):
        Config.from_mapping({name: 0}, source="pipereview.yaml")
    for value in (1, 2):
        assert getattr(Config().replace(**{name: value}), name) == value
        assert getattr(Config.from_mapping({name: value}), name) == value


def _sheet_follow_up(config: Config) -> str:
    """The follow-up line of Ann's coaching sheet (no findings) as of 2026-W47, whose
    Friday is 2026-11-20."""
    deals = pd.DataFrame([_row(WEEK, "a", "initial_contact")])
    context = WeekDiagnostics(deals, as_of=WEEK, config=config)
    columns = ["lang", "team", "owner", "kind", "scope", "deal_key", "amount_at_stake", "severity"]
    files = dict(
        _team_files(context, pd.DataFrame(columns=columns), "T", "en", PromptTemplates(), ())
    )
    return next(line for line in files["Ann.en.md"].splitlines() if "Follow-up" in line)


@boundary("follow_up_days")
@pytest.mark.parametrize(
    ("days", "date"),
    # Friday 2026-11-20 + days, on the next working day: Saturday 21 Nov and Saturday 19 /
    # Sunday 20 Dec move to the Monday after
    [(1, "2026-11-23"), (29, "2026-12-21"), (30, "2026-12-21"), (31, "2026-12-21")],
)
def test_the_follow_up_is_follow_up_days_after_the_as_of_friday(days: int, date: str) -> None:
    assert _sheet_follow_up(Config(follow_up_days=days)) == (
        f"Follow-up: review these items together on {date}."
    )


def _filler() -> list[dict[str, Any]]:
    """A deal stored in each of the 20 weeks to 2026-W47, so the store begins long before."""
    return [_row(AS_OF - i, "F", "negotiation") for i in range(20)]


@boundary("window_weeks")
@pytest.mark.parametrize(
    ("window", "weeks_ago", "counted"),
    [(8, 7, True), (8, 8, True), (8, 9, False), (1, 1, True), (1, 2, False)],
)
def test_a_move_exactly_window_weeks_before_the_as_of_week_is_in_the_move_on_rate(
    window: int, weeks_ago: int, counted: bool
) -> None:
    # deal D moves on from initial_contact in week W47 - weeks_ago to the next week
    rows = [
        *_filler(),
        _row(AS_OF - weeks_ago, "D", "initial_contact"),
        _row(AS_OF - weeks_ago + 1, "D", "needs_confirmed"),
    ]
    week = WeekDiagnostics(pd.DataFrame(rows), as_of=WEEK, config=Config(window_weeks=window))
    rates = week.move_on_team
    first = rates[rates["stage"] == "initial_contact"]
    assert first[["exposures", "moved"]].values.tolist() == ([[1, 1]] if counted else [])


@boundary("cohort_weeks")
@pytest.mark.parametrize(
    ("window", "weeks_ago", "counted"),
    [(13, 11, True), (13, 12, True), (13, 13, False), (1, 0, True), (1, 1, False)],
)
def test_an_entry_in_the_first_of_cohort_weeks_weeks_is_in_the_cohort(
    window: int, weeks_ago: int, counted: bool
) -> None:
    # deal D enters initial_contact in week W47 - weeks_ago and moves on the week after
    rows = [*_filler(), _row(AS_OF - weeks_ago, "D", "initial_contact")]
    rows += [_row(AS_OF - n, "D", "needs_confirmed") for n in range(weeks_ago)]
    week = WeekDiagnostics(pd.DataFrame(rows), as_of=WEEK, config=Config(cohort_weeks=window))
    cohort = week.conversion_team
    first = cohort[cohort["stage"] == "initial_contact"].iloc[0]
    assert first["entered"] == (1 if counted else 0)
    assert first["reached_next"] == (1 if counted and weeks_ago > 0 else 0)

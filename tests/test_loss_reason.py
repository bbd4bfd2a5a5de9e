"""A lost deal's loss reason: read from each CRM's own header, kept only where the export
has the column, carried into the week's movements, and shown in the review's lists of
lost deals in both languages; an export without it shows no such column and no words
about it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipereview.core._stages import load_stage_model
from pipereview.delivery._review import WeeklyReview
from pipereview.history._movements import MOVEMENT_COLUMNS, deal_movements
from pipereview.ingest._columnmaps import REQUIRED_FIELDS, column_map_names, load_column_map
from pipereview.ingest._export import read_export
from pipereview.ingest._schema import validate_snapshot
from pipereview.sample._teams import LOSS_REASONS, loss_reasons

#: Every header each shipped map reads as ``loss_reason`` (by hand, from the CRMs' exports).
HEADERS: dict[str, tuple[str, ...]] = {
    "salesforce_report": ("Loss Reason", "Closed Lost Reason", "Lost Reason"),
    "salesforce_dataloader": ("Loss_Reason__c", "Closed_Lost_Reason__c", "Lost_Reason__c"),
    "hubspot": ("Closed Lost Reason", "closed_lost_reason"),
    "odoo": ("Lost Reason", "lost_reason_id"),
    "dynamics": ("Loss Reason", "Lost Reason"),
    "chinese_crm": ("输单原因", "丢单原因", "失单原因"),
}
_CELLS = {
    "deal_id": "D-1",
    "deal_name": "Packaging line",
    "owner": "Ann Lee",
    "amount": "12000",
    "close_date": "2026-12-15",
    "created_date": "2026-10-01",
}


def _export(tmp_path: Path, name: str, reason_header: str | None) -> Path:
    """Two deals of ``name``'s CRM: D-1 lost ("Went with Apex"), D-2 open (no reason)."""
    cmap = load_column_map(name)
    model = load_stage_model(cmap.stage_model)
    fields = [*REQUIRED_FIELDS, *(["status"] if "status" in cmap.columns else [])]
    header = [cmap.columns[f][0] for f in fields]
    lost = {**_CELLS, "stage": model.lost_stages[0].aliases[0], "status": "Lost"}
    opened = {**lost, "deal_id": "D-2", "stage": model.known_names()[0], "status": "Open"}
    rows = [[lost[f] for f in fields], [opened[f] for f in fields]]
    if reason_header is not None:
        header.append(reason_header)
        rows[0].append("Went with Apex")
        rows[1].append("")
    path = tmp_path / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def test_every_shipped_map_is_covered() -> None:
    assert sorted(HEADERS) == column_map_names()
    for name, headers in HEADERS.items():
        assert load_column_map(name).columns["loss_reason"] == headers, name


@pytest.mark.parametrize(
    ("name", "reason_header"), [(n, h) for n, headers in HEADERS.items() for h in headers]
)
def test_each_crm_s_header_is_read_as_the_loss_reason(
    tmp_path: Path, name: str, reason_header: str
) -> None:
    result = read_export(_export(tmp_path, name, reason_header), week="2026-W47")
    assert result.ok, result.report.summary()
    assert result.report.column_map == name  # detected from the header, the column included
    snapshot = result.snapshot
    assert snapshot["stage"].tolist()[0] == "lost"
    assert snapshot["loss_reason"].tolist()[0] == "Went with Apex"
    assert pd.isna(snapshot["loss_reason"].tolist()[1])  # a blank cell: no reason
    assert reason_header not in result.report.ignored_columns
    validate_snapshot(snapshot)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_an_export_without_the_column_reads_as_before(tmp_path: Path, name: str) -> None:
    result = read_export(_export(tmp_path, name, None), week="2026-W47")
    assert result.ok, result.report.summary()
    assert "loss_reason" not in result.snapshot.columns  # not a blank column: not recorded
    assert result.snapshot["deal_id"].tolist() == ["D-1", "D-2"]
    validate_snapshot(result.snapshot)


def test_a_loss_reason_with_a_line_break_is_cleaned_like_any_text(tmp_path: Path) -> None:
    path = _export(tmp_path, "hubspot", "Closed Lost Reason")
    path.write_text(path.read_text("utf-8").replace("Went with Apex", '"Price\nagain"'), "utf-8")
    result = read_export(path, week="2026-W47")
    assert result.snapshot["loss_reason"].tolist()[0] == "Price again"


# --- movements ---------------------------------------------------------------------------

DAY = pd.Timestamp("2026-12-18")


def _snap(stages: list[str], **extra: object) -> pd.DataFrame:
    n = len(stages)
    return pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(1, n + 1)],
            "deal_name": [f"Deal {i}" for i in range(1, n + 1)],
            "account": [f"Account {i}" for i in range(1, n + 1)],
            "team": "North",
            "owner": "Ann",
            "stage": stages,
            "stage_model": "generic_4",
            "amount": [1000.0 * i for i in range(1, n + 1)],
            "currency": "EUR",
            "close_date": DAY,
            **extra,
        }
    )


def test_movements_carry_this_week_s_reason_of_the_deals_lost_now() -> None:
    prev = _snap(["negotiation", "negotiation", "lost", "negotiation"])
    reasons = ["Price too high", "Chose the incumbent", "Old reason", None]
    curr = _snap(["lost", "negotiation", "lost", "lost"], loss_reason=reasons)
    moves = deal_movements(prev, curr)
    assert list(moves.columns) == list(MOVEMENT_COLUMNS)
    got = dict(zip(moves["deal_id"], moves["loss_reason"], strict=True))
    # D1 lost now with a reason; D2 still open (its text is no loss reason); D3 lost
    # before, still lost (not lost this week, but its reason is still this week's); D4
    # lost now without a reason
    assert got["D1"] == "Price too high"
    assert pd.isna(got["D2"]) and pd.isna(got["D4"])
    assert got["D3"] == "Old reason"
    assert moves.set_index("deal_id").loc["D1", "category"] == "lost"


def test_movements_without_the_column_have_no_reason() -> None:
    prev = _snap(["negotiation", "negotiation"])
    moves = deal_movements(prev, _snap(["lost", "negotiation"]))
    assert moves["loss_reason"].isna().all()
    gone = deal_movements(prev, _snap(["lost"], loss_reason=["Price"]))
    assert gone.set_index("deal_id")["loss_reason"].isna().tolist() == [False, True]


# --- the review's lists of lost deals ----------------------------------------------------


def _history(reasons: list[str | None] | None) -> pd.DataFrame:
    """W46 -> W47 by hand: L1 (3,000) and L2 (1,000) lost in Q4, K1 (5,000) open both
    weeks and pushed (a list that is not of lost deals)."""
    weeks = []
    for week, stages, close in (
        ("2026-W46", ["negotiation", "negotiation", "negotiation"], [DAY, DAY, DAY]),
        ("2026-W47", ["lost", "lost", "negotiation"], [DAY, DAY, pd.Timestamp("2027-02-10")]),
    ):
        frame = _snap(stages).assign(
            snapshot_week=week,
            deal_id=["L1", "L2", "K1"],
            deal_name=["Deal L1", "Deal L2", "Deal K1"],
            amount=[3000.0, 1000.0, 5000.0],
            close_date=close,
            probability=np.nan,
            forecast_category="commit",
            next_step="Call",
        )
        if reasons is not None:
            frame["loss_reason"] = reasons if week == "2026-W47" else [None] * 3
        weeks.append(frame)
    return pd.concat(weeks, ignore_index=True)


def _changes(reasons: list[str | None] | None, lang: str) -> str:
    review = WeeklyReview(_history(reasons), team="North", week="2026-W47", lang=lang)
    return str(review.changes_section().body)


def _details(markup: str, summary_start: str) -> str:
    for block in re.findall(r"<details[^>]*>.*?</details>", markup, flags=re.S):
        if re.search(rf"<summary>{re.escape(summary_start)}", block):
            return block
    raise AssertionError(f"no details block for {summary_start!r}")


def _rows(block: str) -> list[list[str]]:
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>.*?</tr>", block)]


@pytest.mark.parametrize(
    ("lang", "step", "category", "column"),
    [
        ("en", "lost: 2 · removes 4,000 EUR", "lost: 2", "Loss reason"),
        ("zh", "输单：2 · 减少 4,000 EUR", "输单：2", "输单原因"),
    ],
)
def test_lists_of_lost_deals_show_each_deal_s_reason(
    lang: str, step: str, category: str, column: str
) -> None:
    page = _changes(["Price too high", "Went with <Apex>", None], lang)
    for block in (_details(page, step), _details(page.split("<h3>")[2], category)):
        rows = _rows(block)
        at = rows[0].index(column)
        assert rows[0][at - 1] == ("阶段" if lang == "zh" else "Stage")  # right after it
        assert [(r[0], r[at]) for r in rows[1:]] == [
            ("L1", "Price too high"),
            ("L2", "Went with &lt;Apex&gt;"),  # escaped, as typed
        ]
    pushed = _details(page, "推迟出本期" if lang == "zh" else "pushed out of the period")
    assert column not in pushed  # only the lists of lost deals


def test_a_lost_deal_without_a_reason_shows_a_dash() -> None:
    page = _changes(["Price too high", None, None], "en")
    rows = _rows(_details(page, "lost: 2"))
    at = rows[0].index("Loss reason")
    assert [r[at] for r in rows[1:]] == ["Price too high", "—"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("reasons", [None, [None, None, None]], ids=["no column", "all blank"])
def test_without_the_column_the_review_says_nothing_about_reasons(
    lang: str, reasons: list[str | None] | None
) -> None:
    page = _changes(reasons, lang)
    lost = _details(page, "输单：2" if lang == "zh" else "lost: 2")
    assert "L1" in lost and "L2" in lost
    for words in ("Loss reason", "loss reason", "输单原因", "reason", "原因", "loss_reason"):
        assert words not in page
    header = _rows(lost)[0]
    assert len(header) == 10  # the list as it was: no empty column


def test_another_team_s_reasons_do_not_make_the_column_appear() -> None:
    ours = _history(None)
    theirs = _history(["Price", "Price", None]).assign(team="West")
    history = pd.concat([ours, theirs], ignore_index=True)
    review = WeeklyReview(history, team="North", week="2026-W47", lang="en")
    assert "Loss reason" not in review.changes_section().body


# --- the sample --------------------------------------------------------------------------


def test_sample_reasons_are_plausible_and_in_the_team_s_language() -> None:
    seq = np.arange(1, 2001)
    picked = loss_reasons("zh", seq, np.array(["西门子"] * len(seq)))
    counts = pd.Series(picked).value_counts()
    assert set(counts.index) == {r.format("西门子") for r in LOSS_REASONS["zh"]}
    assert counts["价格偏高"] > counts["客户选择了西门子"] > counts["预算未批"] > counts[""]
    assert loss_reasons("us", seq[:3], np.array(["Apex Automation"] * 3)).tolist() == [
        "Went with Apex Automation",
        "Price too high",
        "No budget this year",
    ]
    assert (loss_reasons("de", seq, np.array(["KUKA"] * len(seq))) == "Preis zu hoch").any()


def test_the_committed_sample_gives_its_lost_deals_reasons() -> None:
    root = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports" / "2026-W47"
    snapshot = read_export(root / "huadong.csv", week="2026-W47").snapshot
    lost = snapshot[snapshot["stage"] == "lost"]
    assert len(lost) > 10
    given = lost["loss_reason"].dropna()
    assert len(given) >= 0.8 * len(lost)  # a few left blank, as reps do
    assert given.str.match(
        r"^(价格偏高|客户选择了.+|预算未批|客户迟迟不决策|项目推迟到明年)$"
    ).all()
    assert snapshot.loc[snapshot["stage"] != "lost", "loss_reason"].isna().all()

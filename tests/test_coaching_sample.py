"""Coaching on the sample data: the planted problems land in the right sheets, every
template renders in both languages, and one rep's sheet is checked against golden files,
as is a hand-built rep's with last month's items (set PIPEREVIEW_UPDATE_GOLDEN=1 to
rewrite them after a reviewed change)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.coaching import (
    BLOCKS,
    PromptTemplates,
    WeekDiagnostics,
    coaching_findings,
    coaching_prompts,
    coaching_sheet,
    rule_names,
    team_summary,
)
from pipereview.diagnostics._targets import load_targets
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import with_deal_keys

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "data" / "coaching"
W47 = "2026-W47"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def findings(sample_store: Path) -> pd.DataFrame:
    history = with_deal_keys(SnapshotStore(sample_store).history())
    context = WeekDiagnostics(
        history, as_of=W47, targets=load_targets(ROOT / "data" / "samples" / "targets.csv")
    )
    return coaching_findings(context)


@pytest.fixture(scope="module")
def prompts(findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {lang: coaching_prompts(findings, lang=lang) for lang in ("en", "zh")}


def test_every_rule_has_both_templates() -> None:
    templates = PromptTemplates()
    missing = [
        (rule, lang)
        for rule in rule_names()
        for lang in ("en", "zh")
        if not templates.has(rule, lang)
    ]
    assert missing == []


def test_every_prompt_cites_numbers_and_switches_language(prompts: dict[str, pd.DataFrame]) -> None:
    en, zh = prompts["en"], prompts["zh"]
    assert len(en) == len(zh) > 0
    assert en["observation"].str.contains(r"\d").all()  # no prompt without numbers
    for block in BLOCKS:
        assert (en[block] != zh[block]).all(), block  # every sentence changes
        assert zh[block].str.contains(CJK).all(), block
        names = en["deal_name"] + en["account"] + en["owner"] + en["team"]
        stripped = [
            CJK.sub("", text) == text or bool(CJK.search(name))
            for text, name in zip(en[block], names, strict=True)
        ]
        assert all(stripped), block  # English text has Chinese only inside data names


def test_rules_that_fire_on_the_sample_cover_the_planted_problems(findings: pd.DataFrame) -> None:
    fired = set(findings["rule"])
    for rule in (
        "low_stage_conversion",
        "thin_funnel_top",
        "stage_inflation",
        "repeated_pushes",
        "stalled_deal",
    ):
        assert rule in fired, rule
    west = findings[(findings["rule"] == "thin_funnel_top") & (findings["scope"] == "team")]
    assert west["team"].tolist() == ["West"]
    jordan = findings[
        (findings["owner"] == "Jordan Blake") & (findings["rule"] == "low_stage_conversion")
    ]
    assert "id_decision_makers" in set(jordan["stage"])
    north = findings[
        (findings["team"] == "North")
        & (findings["owner"] != "Jordan Blake")
        & (findings["rule"] == "low_stage_conversion")
    ]
    assert "id_decision_makers" not in set(north["stage"])


def test_sheets_name_real_deals_and_numbers(
    prompts: dict[str, pd.DataFrame], sample_store: Path
) -> None:
    latest = SnapshotStore(sample_store).read(W47)
    sheet = coaching_sheet(prompts["en"], "North", "Jordan Blake", as_of=W47)
    assert 1 <= len(sheet.ranked) <= 5
    assert sheet.focus["rule"].iloc[0] == "low_stage_conversion"
    names = set(latest.loc[latest["owner"] == "Jordan Blake", "deal_name"])
    frame = sheet.to_frame()
    deals = frame[frame["item_kind"] == "opportunity"]
    assert len(deals) and set(deals["deal_name"]) <= names
    summary = team_summary(prompts["en"], "West", as_of=W47)
    assert "thin_funnel_top" in set(summary.team_findings["rule"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_point_on_a_sheet_has_a_target_by_the_follow_up_day(
    prompts: dict[str, pd.DataFrame], lang: str
) -> None:
    frame = prompts[lang]
    points = frame[(frame["kind"] == "risk") & (frame["scope"] != "team")]
    assert len(points) > 100
    assert {e["by"] for e in points["evidence"]} == {"2026-12-21"}  # the sheets' follow-up
    assert all("2026-12-21" in target for target in points["target"])
    sheet = coaching_sheet(frame, "North", "Jordan Blake", as_of=W47)
    assert sheet.follow_up.isoformat() == "2026-12-21"
    patterns = [item for item in sheet.items if item["pattern"]]
    # Jordan's pushes (10 deals), stalls (8), inflated stages (6), open exit criteria (6)
    # and missing decision makers (4) are patterns: one point each, not 34
    assert sorted((item["rule"], len(item["deals"])) for item in patterns) == [
        ("missing_exit_criteria", 6),
        ("no_decision_maker", 4),
        ("repeated_pushes", 10),
        ("stage_inflation", 6),
        ("stalled_deal", 8),
    ]
    for item in sheet.items:
        targets = (
            [item["pattern"]["target"]]
            if item["pattern"]
            else [f["target"] for f in item["findings"]]
        )
        assert targets and all("2026-12-21" in t for t in targets)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_golden_sheet(prompts: dict[str, pd.DataFrame], lang: str) -> None:
    text = coaching_sheet(prompts[lang], "North", "Jordan Blake", as_of=W47).to_markdown()
    golden = GOLDEN / f"jordan_blake.{lang}.md"
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_golden_sheet_with_last_months_items(tmp_path: Path, lang: str) -> None:
    """A hand-built rep whose previous 1:1 (four weeks earlier) left agreed, proposed, done
    and dropped items (tests/test_coaching_log.py): the sheet opens with them and what the
    data says happened since."""
    from pipereview.coaching._log import CoachingLog
    from test_coaching_log import _sheet_files, last_month

    log = CoachingLog(tmp_path / "store")
    log.record(last_month())
    text = _sheet_files(log, lang)[f"Ann.{lang}.md"]
    golden = GOLDEN / f"ann_last_month.{lang}.md"
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.slow
def test_coach_command_writes_the_pack(sample_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "coach",
            "--store",
            str(sample_store),
            "--lang",
            "zh",
            "--team",
            "North",
            "--out",
            str(tmp_path),
            "--targets",
            str(ROOT / "data" / "samples" / "targets.csv"),
            "--no-log",  # the shared sample store is only read
        ],
    )
    assert result.exit_code == 0, result.output
    assert not (sample_store / "coaching-log.jsonl").exists()
    folder = tmp_path / W47 / "North"
    assert (folder / "team.zh.md").read_text(encoding="utf-8").startswith("# 辅导概览 — North")
    sheet = (folder / "Jordan Blake.zh.html").read_text(encoding="utf-8")
    assert sheet.startswith('<section class="coaching-sheet" lang="zh">')
    findings = pd.read_csv(tmp_path / W47 / "findings.zh.csv", encoding="utf-8-sig")
    assert len(findings) > 0 and set(findings["team"]) == {"North"}
    # beside each rule id (for analysts) its title in the pack's language
    from pipereview.coaching.titles import rule_title

    assert findings["rule_title"].tolist() == [rule_title(r, "zh") for r in findings["rule"]]
    assert not findings["rule_title"].str.contains(r"[A-Za-z_]").any()
    text_cells = findings.select_dtypes(["str", "object"]).stack().astype(str)
    assert not text_cells.str.match(r"[=+\-@]").any()  # nothing a spreadsheet would run
    assert "rep sheets" in result.output
    bad = runner.invoke(
        app, ["coach", "--store", str(sample_store), "--team", "Nowhere", "--out", str(tmp_path)]
    )
    assert bad.exit_code == 1 and "no team Nowhere in 2026-W47" in bad.output


@pytest.mark.slow
def test_pack_findings_csv_is_formula_safe(sample_store: Path, tmp_path: Path) -> None:
    from pipereview import SnapshotStore, with_deal_keys
    from pipereview.coaching import coaching_findings
    from pipereview.coaching.pack import write_coaching_pack
    from pipereview.week import WeekDiagnostics

    history = with_deal_keys(SnapshotStore(sample_store).history(teams=["North"]))
    found = coaching_findings(WeekDiagnostics(history, as_of=W47))
    deal = found.loc[found["scope"] == "deal", "deal_id"].iloc[0]
    hostile = '=HYPERLINK("http://evil.example","open me")'
    history["deal_name"] = history["deal_name"].where(history["deal_id"] != deal, hostile)
    written = write_coaching_pack(WeekDiagnostics(history, as_of=W47), tmp_path, teams=["North"])
    table = pd.read_csv(written[-1], encoding="utf-8-sig")
    assert "'" + hostile in set(table["deal_name"])  # shown as text, never run
    assert hostile not in set(table["deal_name"])

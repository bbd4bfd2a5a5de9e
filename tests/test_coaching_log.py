"""The coaching log across weeks: a sheet's focus items recorded once per 1:1 week, written
whole under the store's lock (two writers both kept), marked from a file with every
error named, and the next sheet opening with last time's items and what the data says
happened since, computed by hand on a small store of two weeks (a 1:1 in 2026-W43, the
next in 2026-W47, four weeks on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipereview.coaching import coaching_sheet
from pipereview.coaching._log import LOG_FIELDS, LOG_NAME, CoachingLog, item_id, sheet_entries
from pipereview.coaching._marks import mark_log, read_marks
from pipereview.coaching._since import since_items
from pipereview.coaching.pack import _team_files
from pipereview.coaching.prompts import PromptTemplates
from pipereview.core._errors import FileSystemError, InputError
from pipereview.history._trail import with_deal_keys
from pipereview.week import WeekDiagnostics

W43, W47 = "2026-W43", "2026-W47"  # Mondays 2026-10-19 and 2026-11-16: 28 days apart
ROOT = Path(__file__).resolve().parents[1]


def _row(week: str, deal: str, stage: str, close: str) -> dict[str, Any]:
    return {
        "snapshot_week": week,
        "team": "North",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": "Acme",
        "owner": "Ann",
        "stage": stage,
        "stage_model": "generic_4",
        "amount": 100_000.0,
        "currency": "EUR",
        "close_date": pd.Timestamp(close),
        "last_activity_date": pd.Timestamp("2026-11-16"),
    }


def two_weeks() -> WeekDiagnostics:
    """Ann's deals in 2026-W43 and 2026-W47: A moved on and its close date pushed, B won,
    C lost, D still at its stage, E gone from the export, F moved back and brought in."""
    rows = [
        _row(W43, "A", "needs_confirmed", "2026-12-15"),
        _row(W47, "A", "solution_quote", "2027-01-15"),
        _row(W43, "B", "solution_quote", "2026-12-01"),
        _row(W47, "B", "won", "2026-11-18"),
        _row(W43, "C", "negotiation", "2026-12-01"),
        _row(W47, "C", "lost", "2026-11-18"),
        _row(W43, "D", "initial_contact", "2026-12-20"),
        _row(W47, "D", "initial_contact", "2026-12-20"),
        _row(W43, "E", "needs_confirmed", "2026-12-20"),
        _row(W43, "F", "negotiation", "2026-12-10"),
        _row(W47, "F", "solution_quote", "2026-12-05"),
    ]
    return WeekDiagnostics(with_deal_keys(pd.DataFrame(rows)), as_of=W47)


def _entry(kind: str, rank: int, status: str = "proposed", **over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "week": W43,
        "team": "North",
        "owner": "Ann",
        "kind": kind,
        "rank": rank,
        "stage_model": "generic_4",
        "lang": "en",
        "status": status,
        "due": "2026-11-23",
        **over,
    }
    return {**entry, "item": item_id(entry)}


def last_month() -> list[dict[str, Any]]:
    """Ann's items of the 1:1 of 2026-W43, as the manager marked them."""
    deal = "opportunity"
    return [
        _entry(
            "skill",
            1,
            "agreed",
            rule="low_stage_conversion",
            stage="needs_confirmed",
            metric="move_on_rate",
            value=0.04,
            reference=0.3,
            target="Raise your weekly move-on rate at Needs confirmed from 4% to 17%.",
            note="Start with the two largest deals",
        ),
        _entry(deal, 2, "agreed", rule="stalled_deal", deal_key="A", subject="Deal A"),
        _entry(deal, 3, "agreed", rule="repeated_pushes", deal_key="B", subject="Deal B"),
        _entry(deal, 4, rule="no_decision_maker", deal_key="C", subject="Deal C"),
        _entry(deal, 5, rule="stalled_deal", deal_key="D", subject="Deal D"),
        _entry(deal, 6, "agreed", rule="stalled_deal", deal_key="E", subject="Deal E"),
        _entry(deal, 7, "agreed", rule="close_date_past", deal_key="F", subject="Deal F"),
        _entry(
            "skill",
            8,
            "agreed",
            rule="coverage_below_need",
            metric="coverage",
            value=0.6,
            reference=3.0,
        ),
        _entry(deal, 9, "done", rule="no_coach", deal_key="G", subject="Deal G"),
        _entry(
            deal, 10, "dropped", rule="no_coach", deal_key="H", subject="Deal H", note="budget cut"
        ),
    ]


def current_prompts(lang: str) -> pd.DataFrame:
    """Ann's findings this week: still slow at Needs confirmed (now 10%), and deal D stalled."""
    from test_coaching_sheet import _p

    rows = [
        _p("low_stage_conversion", "Ann", "", 60_000, 2, stage="needs_confirmed", value=0.1),
        _p("stalled_deal", "Ann", "D", 100_000, 2, stage="initial_contact"),
    ]
    return pd.DataFrame(rows).assign(lang=lang, prompt="")


def test_since_last_time_outcomes_computed_by_hand() -> None:
    context = two_weeks()
    current = current_prompts("en")
    lines = since_items(last_month(), context, "en", current=current)
    got = [(s["status"], s["title"], s["outcome"]) for s in lines]
    assert got == [  # agreed first, then proposed, done, dropped; each in the sheet's order
        (
            "agreed",
            "Deals slow to move on at a stage",
            "weekly move-on rate at Needs confirmed went from 4% at the last 1:1 to 10% now",
        ),
        (
            "agreed",
            "Deal A",
            "moved on from Needs confirmed to Solution & quote; "
            "close date pushed from 2026-12-15 to 2027-01-15",
        ),
        ("agreed", "Deal B", "won"),
        ("agreed", "Deal E", "no longer in this week's export"),
        (
            "agreed",
            "Deal F",
            "moved back from Negotiation & signing to Solution & quote; "
            "close date brought in from 2026-12-10 to 2026-12-05",
        ),
        (
            "agreed",
            "Pipeline coverage too low",
            "pipeline coverage was 0.6×, no longer flagged this week",
        ),
        ("proposed", "Deal C", "lost"),
        # 2026-W43 Monday 10-19 to 2026-W47 Monday 11-16
        ("proposed", "Deal D", "still at Initial contact, 28 days in the stage"),
        ("done", "Deal G", ""),
        ("dropped", "Deal H", ""),
    ]
    zh = since_items(last_month(), context, "zh", current=current_prompts("zh"))
    assert [s["outcome"] for s in zh][:3] == [
        "需求确认阶段的周推进率从上次的 4% 变为现在的 10%",
        "此后从需求确认推进到方案报价；预计成交日期从 2026-12-15 推迟到 2027-01-15",
        "此后已赢单",
    ]
    assert [s["status_label"] for s in zh][-4:] == ["待商定", "待商定", "已完成", "已放弃"]
    assert zh[0]["plan"] == "" and lines[0]["plan"].startswith("Raise your weekly")  # en target
    same = since_items([last_month()[0]], context, "zh", current=current.assign(value=0.04))
    assert same[0]["outcome"] == "需求确认阶段的周推进率仍为 4%，与上次持平"


def test_a_skill_item_no_longer_fired_reads_its_move_on_rate_from_the_data() -> None:
    """Without this week's finding the rate is measured from the history. The two stored
    weeks four apart give no week-on-week pair: nothing measured, the item reads as no
    longer flagged. With 2026-W46 stored too, Ann's deals at Needs confirmed spent two
    deal-weeks there (A and D, 2026-W46 -> 2026-W47): A moved on, D moved back - 1 of 2."""
    entry = last_month()[0]
    line = since_items([entry], two_weeks(), "en")[0]
    assert line["outcome"] == (
        "weekly move-on rate at Needs confirmed was 4%, no longer flagged this week"
    )
    rows = two_weeks().history.drop(columns="deal_key")
    w46 = [_row("2026-W46", deal, "needs_confirmed", "2026-12-15") for deal in "AD"]
    rows = pd.concat([rows, pd.DataFrame(w46)], ignore_index=True)
    context = WeekDiagnostics(with_deal_keys(rows), as_of=W47)
    assert since_items([entry], context, "en")[0]["outcome"] == (
        "weekly move-on rate at Needs confirmed went from 4% at the last 1:1 to 50% now"
    )


def _sheet_files(log: CoachingLog, lang: str) -> dict[str, str]:
    recorded: list[dict[str, Any]] = []
    files = _team_files(
        two_weeks(), current_prompts(lang), "North", lang, PromptTemplates(), (), log, recorded
    )
    log.record(recorded)
    return dict(files)


def test_the_next_sheet_opens_with_last_times_items(tmp_path: Path) -> None:
    log = CoachingLog(tmp_path / "store")
    assert log.record(last_month()) == 10
    markdown = _sheet_files(log, "en")["Ann.en.md"]
    lines = markdown.splitlines()
    assert lines[2] == "## Since last time: the 1:1 of week 2026-W43"
    assert lines.index("## What is working") > lines.index(lines[2])  # at the top
    b = item_id(last_month()[2])
    assert f"- **Agreed** — Opportunity coaching — Deal B (item {b}): since then, won" in lines
    assert f"- **Done** — Opportunity coaching — Deal G (item {item_id(last_month()[8])})" in lines
    assert "  - Note: budget cut" in lines
    # this week's items recorded once, as proposed; the earlier week kept as marked
    assert [e["status"] for e in log.entries(week=W47)] == ["proposed", "proposed"]
    assert (
        _sheet_files(log, "zh")["Ann.zh.md"].splitlines()[2]
        == "## 上次辅导约定（2026-W43 周的 1:1）"
    )
    assert len(log.entries(week=W47)) == 2  # the zh run recorded nothing again


def test_no_earlier_entry_no_section(tmp_path: Path) -> None:
    files = _sheet_files(CoachingLog(tmp_path / "store"), "en")
    assert "Since last time" not in files["Ann.en.md"]
    assert "since-last-time" not in files["Ann.en.html"]
    plain = coaching_sheet(current_prompts("zh"), "North", "Ann", as_of=W47).to_markdown()
    assert "上次辅导约定" not in plain


def test_recording_a_week_twice_changes_nothing(tmp_path: Path) -> None:
    log = CoachingLog(tmp_path / "store")
    sheet = coaching_sheet(current_prompts("en"), "North", "Ann", as_of=W47)
    entries = sheet_entries(sheet)
    assert [(e["kind"], e["rank"], e["rule"]) for e in entries] == [
        ("opportunity", 1, "stalled_deal"),
        ("skill", 2, "low_stage_conversion"),
    ]
    assert entries[0]["due"] == "2026-12-21"  # the sheet's follow-up: no `by` in evidence
    assert log.record(entries) == 2
    text = log.path.read_text(encoding="utf-8")
    log.update({(W47, "North", "Ann", entries[0]["item"]): {"status": "agreed", "note": "ok"}})
    assert log.record(entries) == 0  # the same week again: nothing added, the mark kept
    assert [e["status"] for e in log.entries()] == ["agreed", "proposed"]
    assert len(log.path.read_text(encoding="utf-8").splitlines()) == len(text.splitlines()) == 2
    line = json.loads(text.splitlines()[0])
    assert tuple(line) == LOG_FIELDS  # the documented fields, in order
    assert item_id(entries[0]) == item_id({**entries[0], "week": "2027-W02"})  # stable


def test_a_failed_write_leaves_the_log_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = CoachingLog(tmp_path / "store")
    log.record(last_month()[:2])
    before = log.path.read_bytes()

    def full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(FileSystemError):
        log.record(last_month()[2:])
    monkeypatch.undo()
    assert log.path.read_bytes() == before
    assert sorted(p.name for p in log.path.parent.iterdir()) == [".pipereview.lock", LOG_NAME]


WRITER = """
import sys, time, pathlib
from pipereview.coaching._log import CoachingLog, item_id
store, name, meet = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
log = CoachingLog(store)
(meet / name).touch()
while len(list(meet.iterdir())) < 2:
    time.sleep(0.002)
for i in range(40):
    entry = {"week": "2026-W47", "team": "North", "owner": name, "kind": "skill",
             "rule": f"rule_{i}", "rank": i}
    log.record([{**entry, "item": item_id(entry)}])
    if i % 4 == 0:
        log.update({("2026-W47", "North", name, item_id(entry)): {"status": "agreed"}})
"""


@pytest.mark.slow
def test_two_concurrent_writers_both_keep_their_lines(tmp_path: Path) -> None:
    """Two processes write the log at once, 40 records and 10 marks each, meeting before
    they start: every line of both is there, each mark kept, the file whole."""
    (tmp_path / "meet").mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "store"), name, str(tmp_path / "meet")],
            env=env,
        )
        for name in ("Ann", "Bo")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    entries = CoachingLog(tmp_path / "store").entries()
    assert len(entries) == 80
    for name in ("Ann", "Bo"):
        mine = [e for e in entries if e["owner"] == name]
        assert len(mine) == 40
        assert sorted(e["rank"] for e in mine if e["status"] == "agreed") == list(range(0, 40, 4))
    files = sorted(p.name for p in (tmp_path / "store").iterdir())
    assert files == [".pipereview.lock", LOG_NAME]  # no temporary file left behind


# --- marking from a file -------------------------------------------------------------


@pytest.fixture
def marked(tmp_path: Path) -> tuple[CoachingLog, Path]:
    log = CoachingLog(tmp_path / "store")
    log.record(last_month())
    south = {**last_month()[1], "team": "South", "owner": "Ann", "deal_key": "Z"}
    log.record([{**south, "item": item_id(south), "status": "proposed"}])
    return log, tmp_path / "marks.csv"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _items() -> list[str]:
    return [e["item"] for e in last_month()]


def test_a_mark_file_marks_its_items(marked: tuple[CoachingLog, Path]) -> None:
    log, path = marked
    a, c = _items()[1], _items()[3]
    text = f"周,销售,事项编号,状态,备注,subject\n{W43},Ann,{a},已完成,Signed the PO,x\n{W43},Ann,{c},dropped,\n"
    assert mark_log(log, _write(path, text, "gb18030")) == 2
    got = {e["item"]: (e["status"], e["note"]) for e in log.entries(team="North")}
    assert got[a] == ("done", "Signed the PO") and got[c] == ("dropped", "")
    # no note column: the notes are kept
    _write(path, f"week,rep,item,status\n{W43},Ann,{_items()[0]},done\n")
    assert mark_log(log, path) == 1
    first = log.entries(team="North")[0]
    assert (first["status"], first["note"]) == ("done", "Start with the two largest deals")


def _refusal(log: CoachingLog, path: Path, text: str, team: str | None = None) -> str:
    before = log.path.read_bytes()
    with pytest.raises(InputError) as caught:
        mark_log(log, _write(path, text), team=team)
    assert log.path.read_bytes() == before  # nothing marked
    return str(caught.value.message)


def test_mark_file_errors_name_the_row_the_column_and_the_fix(
    marked: tuple[CoachingLog, Path],
) -> None:
    log, path = marked
    a = _items()[1]
    message = _refusal(log, path, "week,rep,item\n")
    assert message == (
        f"{path}: no column 'status' (columns found: 'week', 'rep', 'item') (expected a header "
        "row with the columns week, rep, item, status and note (optional))"
    )
    message = _refusal(
        log, path, f"week,rep,item,status\n{W43},Ann,{a},finished\n2026-43,Ann,,done\n"
    )
    assert message.splitlines() == [
        f"{path}: nothing was marked, 3 problems:",
        f"  {path}, row 2, column 'status': expected one of proposed, agreed, done, dropped "
        "(or 待商定, 已约定, 已完成, 已放弃), got 'finished'. Hint: write agreed once the item "
        "is agreed in the 1:1, done or dropped after",
        f"  {path}, row 3, column 'week': expected an ISO week such as 2026-W47, got '2026-43'. "
        "Hint: write the week of the 1:1 the item was proposed in",
        f"  {path}, row 3, column 'item': expected the item's id. Hint: "
        "`pipereview coaching-log` lists the weeks, reps and item ids the log holds",
    ]
    message = _refusal(log, path, f"week,rep,item,status\n2026-W40,Ann,{a},done\n")
    assert message.splitlines()[1] == (
        f"  {path}, row 2, column 'week': expected a 1:1 week the coaching log holds for Ann: "
        f"{W43}, got '2026-W40'. Hint: write the sheets of 2026-W40 with `pipereview coach "
        "--week 2026-W40` first, or correct the week or the rep"
    )
    message = _refusal(log, path, f"week,rep,item,status\n{W43},Ann,O-000000,done\n")
    assert message.splitlines()[1].startswith(
        f"  {path}, row 2, column 'item': expected one of the ids of Ann's items in {W43}: "
    )
    assert message.endswith(
        f"got 'O-000000'. Hint: `pipereview coaching-log --week {W43} --rep \"Ann\"` lists them"
    )
    south = next(e["item"] for e in log.entries(team="South"))
    message = _refusal(log, path, f"week,rep,item,status\n{W43},Ann,{south},done\n", team="North")
    assert message.splitlines()[1] == (
        f"  {path}, row 2, column 'item': expected an item of team North (this run is for "
        f"--team North), got '{south} of team South'. Hint: mark it in a run for --team "
        "South, or remove the line"
    )
    message = _refusal(
        log, path, f"week,rep,item,status\n{W43},Ann,{a},done\n{W43},Ann,{a},dropped\n"
    )
    assert message.splitlines()[1] == (
        f"  {path}, row 3, column 'item': expected each item marked once, got '{a} marked "
        "again (row 2)'. Hint: keep one line per item"
    )
    message = _refusal(log, path, "week,rep,item,status\n\n")
    assert message == (
        f"{path} marks no item: it has a header and no line (expected one line per item: "
        "week, rep, item id, status, note)"
    )


def test_read_marks_keeps_the_rows_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "m.csv", "\ufeffweek,rep,item,status,note\n\n2026-W43,Ann,S-1,Agreed,\n"
    )
    assert read_marks(path) == [
        {"week": "2026-W43", "rep": "Ann", "item": "S-1", "status": "agreed", "note": "", "row": 3}
    ]


def test_a_hand_damaged_log_line_is_named(tmp_path: Path) -> None:
    log = CoachingLog(tmp_path / "store")
    log.record(last_month()[:1])
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write('{"week": "2026-W43", "owner": "Ann", "item": "S-1", "status": "maybe"}\n')
    with pytest.raises(InputError) as caught:
        log.entries()
    assert caught.value.message.startswith(
        f"{log.path}, line 2: not a coaching log line (status 'maybe' is not one of "
        "proposed, agreed, done, dropped)"
    )


@pytest.mark.slow
def test_the_commands_record_list_mark_and_open_the_next_sheet(
    sample_store: Path, tmp_path: Path
) -> None:
    """`coach` records each sheet's focus items, `coaching-log` lists and exports them and
    marks them from the edited file, and the next week's sheet opens with them."""
    import shutil

    from typer.testing import CliRunner

    from pipereview.cli import app

    store, out = tmp_path / "store", tmp_path / "coaching"
    shutil.copytree(sample_store, store)  # the shared sample store is only read
    assert not (store / LOG_NAME).exists()
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--store", str(store)])
        assert result.exit_code == 0, result.output
        return result.output

    coach = ("coach", "--team", "North", "--out", str(out))
    assert "Focus items recorded in the coaching log" in run(*coach, "--week", "2026-W46")
    listing = run("coaching-log", "--rep", "Jordan Blake")
    assert "Coaching log" in listing and "low_stage_conversion" not in listing
    assert "Deals slow to move on at a" in listing and "proposed" in listing
    run(
        "coaching-log",
        "--team",
        "North",
        "--rep",
        "Jordan Blake",
        "--export",
        str(tmp_path / "m.csv"),
    )
    marks = pd.read_csv(tmp_path / "m.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(marks.columns)[:5] == ["week", "rep", "item", "status", "note"]
    assert set(marks["status"]) == {"proposed"} and 1 <= len(marks) <= 5
    marks.loc[0, "status"], marks.loc[0, "note"] = "agreed", "Half-way to the team's rate"
    marks.to_csv(tmp_path / "m.csv", index=False)
    assert f"Marked 1 item from {tmp_path / 'm.csv'}" in run(
        "coaching-log", "--mark", str(tmp_path / "m.csv"), "--team", "North"
    ).replace("\n", "")
    refused = runner.invoke(
        app,
        [
            "coaching-log",
            "--mark",
            str(tmp_path / "m.csv"),
            "--team",
            "West",
            "--store",
            str(store),
        ],
    )
    assert refused.exit_code == 1 and "expected an item of team West" in refused.output
    run(*coach, "--week", "2026-W47")
    sheet = (out / "2026-W47" / "North" / "Jordan Blake.en.md").read_text(encoding="utf-8")
    lines = sheet.splitlines()
    assert lines[2] == "## Since last time: the 1:1 of week 2026-W46"
    assert lines[3].startswith(f"- **Agreed** — {marks.loc[0, 'kind'].title()} coaching — ")
    assert "  - Note: Half-way to the team's rate" in lines
    other = (out / "2026-W46" / "North" / "Jordan Blake.en.md").read_text(encoding="utf-8")
    assert "Since last time" not in other
    assert "proposed" in run("coaching-log", "--week", "2026-W47", "--rep", "Jordan Blake")
    nothing = runner.invoke(app, ["coaching-log", "--team", "Nowhere", "--store", str(store)])
    assert nothing.exit_code == 1 and "holds no item for team Nowhere" in nothing.output


def test_the_section_escapes_what_the_manager_typed(tmp_path: Path) -> None:
    log = CoachingLog(tmp_path / "store")
    typed = "<script>alert(1)</script> *now*"
    log.record([{**last_month()[1], "note": typed}])
    files = _sheet_files(log, "en")
    assert (
        '<p class="note">Note: &lt;script&gt;alert(1)&lt;/script&gt; *now*</p>'
        in files["Ann.en.html"]
    )
    assert (
        "  - Note: \\<script\\>alert(1)\\</script\\> \\*now\\*" in files["Ann.en.md"].splitlines()
    )


def test_a_second_log_object_sees_what_the_first_wrote(tmp_path: Path) -> None:
    reader, writer = CoachingLog(tmp_path / "store"), CoachingLog(tmp_path / "store")
    writer.record(last_month()[:1])
    assert [e["status"] for e in reader.entries()] == ["agreed"]
    key = (W43, "North", "Ann", last_month()[0]["item"])
    assert writer.update({key: {"status": "done"}}) == 1
    assert [e["status"] for e in reader.entries()] == ["done"]
    with reader.lock():  # under the lock, read afresh
        assert [e["status"] for e in reader.entries()] == ["done"]

"""The mechanism of the weekly files stored beside the deals, shown on a kind of its own:
a team's rows replaced only on purpose and another team's added beside them, every part
checked before the first is written, the record's checksum and sources, a damaged file
named and never read, the rows set aside written to the week's quarantine."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.core._errors import DamagedWeekError, InputError, Problem
from pipereview.core._weeks import Week
from pipereview.history._sidefiles import SideFile, WeekRows, check_week_rows, store_week_rows
from pipereview.history._store import SnapshotStore
from pipereview.history._weekfiles import sha256_file
from pipereview.ingest._countedexport import CountedExport

NOTES = SideFile(
    "notes",
    "notes",
    "notes",
    "notes file",
    "notes",
    "file",
    order=("team", "source_row"),
    labelled=True,
)
W47 = Week.parse("2026-W47")


def _export(
    source: str, rows: list[tuple[str, str]], problems: tuple[Problem, ...] = ()
) -> CountedExport:
    """An export of (team, note) rows, numbered from row 2 as a spreadsheet would."""
    frame = pd.DataFrame(
        {
            "team": [t for t, _ in rows],
            "note": [n for _, n in rows],
            "source_row": range(2, 2 + len(rows)),
        }
    )
    return CountedExport(
        rows_read=len(rows) + len(problems),
        rows_used=len(rows),
        rows_quarantined=len(problems),
        rows_skipped=0,
        problems=problems,
        skipped={},
        source=Path(source),
        frame=frame,
        missing=("author",),
    )


def _part(export: CountedExport, week: Week = W47) -> WeekRows:
    counts = export.frame["team"].value_counts()
    return WeekRows(NOTES, week, export.frame, export, {str(t): int(n) for t, n in counts.items()})


def test_a_team_added_beside_another_and_replaced_only_on_purpose(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store_week_rows(store, W47, [_part(_export("a.csv", [("North", "x"), ("North", "y")]))])
    written, _ = store_week_rows(store, W47, [_part(_export("b.csv", [("West", "z")]))])
    [(path, frame)] = written
    assert path == tmp_path / "notes" / "2026-W47.parquet"
    assert frame.sort_values("note")["note"].tolist() == ["x", "y", "z"]

    with pytest.raises(InputError) as refused:
        store_week_rows(store, W47, [_part(_export("c.csv", [("North", "new")]))])
    assert str(refused.value).startswith(
        "2026-W47 already holds notes of North (stored from a.csv)"
    )
    assert refused.value.hint == "add --replace to replace that team's notes with this file"

    store_week_rows(store, W47, [_part(_export("c.csv", [("North", "new")]))], replace=True)
    stored, record = NOTES.read(store, W47)
    assert stored is not None
    assert sorted(zip(stored["team"], stored["note"], strict=True)) == [
        ("North", "new"),
        ("West", "z"),
    ]
    assert record["kind"] == "notes" and record["week"] == "2026-W47"
    assert record["sha256"] == sha256_file(path)
    assert record["size"] == path.stat().st_size
    assert sorted((s["team"], s["file"], s["rows"]) for s in record["sources"]) == [
        ("North", "c.csv", 1),
        ("West", "b.csv", 1),
    ]
    assert record["sources"][0]["missing"] == ["author"]


def test_every_part_checked_before_the_first_is_written(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    first = _export("a.csv", [("North", "x")])
    second = _export("b.csv", [("West", "y"), ("North", "z")])
    with pytest.raises(InputError) as refused:
        check_week_rows(store, [_part(first), _part(second)])
    assert str(refused.value).startswith(
        "a.csv and b.csv both give the notes of North for 2026-W47"
    )
    assert refused.value.expected == "one notes file per team and week"
    # one file's parts of two weeks, the second week's refused: neither week written
    store_week_rows(store, Week.parse("2026-W48"), [_part(first, Week.parse("2026-W48"))])
    both = _export("c.csv", [("North", "p")])
    with pytest.raises(InputError):
        store_week_rows(store, W47, [_part(both), _part(both, Week.parse("2026-W48"))])
    assert NOTES.weeks(store) == [Week.parse("2026-W48")]


def test_a_damaged_file_is_named_and_never_read(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    [(path, _)], _ = store_week_rows(store, W47, [_part(_export("a.csv", [("North", "x")]))])
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DamagedWeekError) as damaged:
        NOTES.read(store, W47)
    assert str(damaged.value).startswith(
        f"the notes stored for 2026-W47 ({path}) are damaged: "
        "its checksum differs from the one recorded"
    )
    assert damaged.value.hint == "store the week's notes file again with --replace"
    path.with_suffix(".json").write_text("{", encoding="utf-8")
    with pytest.raises(DamagedWeekError, match="its record cannot be read"):
        store_week_rows(store, W47, [_part(_export("b.csv", [("West", "y")]))])


def test_rows_set_aside_go_to_the_quarantine_of_the_week_named(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    problem = Problem("a.csv", 3, "note", "a note", "", "write the note")
    export = _export("a.csv", [("North", "x")], (problem,))
    _, quarantine = store_week_rows(store, Week.parse("2026-W48"), [_part(export)])
    assert quarantine is not None
    assert quarantine.parent == store.quarantine_dir("2026-W48")
    assert quarantine.name.startswith("notes.")
    table = pd.read_csv(quarantine, encoding="utf-8-sig")
    assert table[["row", "column", "expected"]].values.tolist() == [[3, "note", "a note"]]


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["North", "West", "East"]), min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_the_file_holds_each_teams_rows_of_its_last_store(teams_by_file: list[list[str]]) -> None:
    store = SnapshotStore(tempfile.mkdtemp())
    last: dict[str, tuple[str, int]] = {}
    for number, teams in enumerate(teams_by_file):
        source = f"f{number}.csv"
        store_week_rows(
            store, W47, [_part(_export(source, [(t, source) for t in teams]))], replace=True
        )
        last.update({t: (source, teams.count(t)) for t in teams})
    frame, record = NOTES.read(store, W47)
    assert frame is not None
    held = {str(t): (set(g["note"]), len(g)) for t, g in frame.groupby("team")}
    assert held == {t: ({source}, count) for t, (source, count) in last.items()}
    assert {s["team"]: (s["file"], s["rows"]) for s in record["sources"]} == last
    assert (
        json.loads(NOTES.path(store, W47).with_suffix(".json").read_text(encoding="utf-8"))
        == record
    )

"""The corpus of malformed exports in tests/data/bad/, run through the CLI (cases.yaml).

Every case ingests one file for 2026-W47 with ``--replace`` into a store that already
holds a good 2026-W47, and checks the exit status, the message, the quarantine file and
that a refused ingest leaves the stored week byte for byte as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.store import SnapshotStore

BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "headers" / "odoo.csv"
WEEK = "2026-W47"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))
SKIP_REASONS = ("blank row", "footer", "total row", "above the header")


def _case_id(case: dict[str, Any]) -> str:
    return case["file"] + ("[" + " ".join(case["args"]) + "]" if case.get("args") else "")


def _fold(text: str) -> str:
    return " ".join(text.split())


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, catch_exceptions=True)


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding 2026-W47 from a good export (copied for each test)."""
    store = tmp_path_factory.mktemp("good") / "store"
    result = _run(["ingest", str(GOOD), "--week", WEEK, "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


@pytest.fixture
def store(good_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(good_store, copy)
    return copy


def _snapshot_bytes(store: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((store / "snapshots").iterdir())}


def test_corpus_is_complete() -> None:
    files = {p.name for p in BAD.iterdir() if p.name != "cases.yaml"}
    described = {case["file"] for case in CASES}
    assert files == described
    assert len(files) >= 24
    assert {case["exit"] for case in CASES} == {0, 1}


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input(case: dict[str, Any], store: Path) -> None:
    path = BAD / case["file"]
    before = _snapshot_bytes(store)
    needs = f" (waits for: {case['needs']})" if case.get("needs") else ""

    result = _run(["ingest", str(path), "--week", WEEK, "--store", str(store), "--replace",
                   *case.get("args", [])])

    output = _fold(result.output)
    assert "Traceback" not in result.output
    assert result.exit_code == case["exit"], f"{result.output}{needs}"
    for expected in case["message"]:
        options = expected if isinstance(expected, list) else [expected]
        assert any(_fold(str(o)) in output for o in options), \
            f"{options!r} not in the output:\n{result.output}{needs}"
    if case["exit"]:
        # the error goes to stderr, and names the file
        assert case["file"] in _fold(result.stderr)
        assert _snapshot_bytes(store) == before, "a refused ingest changed the stored week"
    else:
        assert len(SnapshotStore(store).read(WEEK)) == case["stored_rows"]
    for key, pattern in (("rejected", r"{n} (row\(s\) )?rejected"), ("skipped", r"{n} skipped")):
        if case.get(key):
            assert re.search(pattern.format(n=case[key]), output), \
                f"the output does not count {case[key]} {key} row(s):\n{result.output}{needs}"
    _check_quarantine(case, store, needs)


def _check_quarantine(case: dict[str, Any], store: Path, needs: str) -> None:
    path = store / "quarantine" / WEEK / f"{Path(case['file']).stem}.quarantine.csv"
    expected: dict[int, list[str]] = case.get("quarantine") or {}
    if not expected:
        assert not path.exists(), f"unexpected quarantine file {path}"
        return
    assert path.exists(), f"no quarantine file {path}{needs}"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # CSV UTF-8 with BOM, for Excel
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns[:2]) == ["row", "reason"]
    rows = frame["row"].astype(int).tolist()
    assert rows == sorted(expected), f"quarantined rows {rows}{needs}"
    for row, reason in zip(rows, frame["reason"], strict=True):
        for word in expected[row]:
            assert word in reason, f"row {row}: {word!r} not in reason {reason!r}{needs}"
    skipped = sum(any(word in r for word in SKIP_REASONS) for r in frame["reason"])
    assert skipped == case.get("skipped", 0)
    assert len(rows) - skipped == case.get("rejected", 0)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src") + os.pathsep
           + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-m", "pipereview", "ingest", str(BAD / "empty_0_bytes.csv"),
            "--week", WEEK, "--store", str(tmp_path / "store")]
    plain = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    debug = subprocess.run([*args[:3], "--debug", *args[3:]], capture_output=True, text=True,
                           env=env, timeout=60)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "empty_0_bytes.csv is empty (0 bytes)" in plain.stderr
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert "pipereview.errors.InputError" in debug.stderr


def test_refused_file_leaves_weeks_unchanged(store: Path) -> None:
    listing = _run(["weeks", "--store", str(store)])
    assert listing.exit_code == 0
    assert WEEK in listing.output
    for week in (WEEK, "2026-W48"):  # the stored week (replace) and a new one
        result = _run(["ingest", str(BAD / "many_problems.csv"), "--week", week,
                       "--store", str(store), "--replace"])
        assert result.exit_code == 1
    after = _run(["weeks", "--store", str(store)])
    assert after.output == listing.output
    assert SnapshotStore(store).weeks() == [WEEK]


def test_reader_can_keep_rows_wider_than_the_header() -> None:
    from pipereview.readers import find_long_rows, peek_export, read_rows

    peek = peek_export(BAD / "more_fields_than_header.csv")
    frame = read_rows(peek, long_rows="keep")
    assert frame.index.tolist() == [2, 3, 4]
    assert frame.shape[1] == len(peek.header) == 27
    long_rows = frame.attrs["long_rows"]
    assert [(p.row, p.got) for p in long_rows] == [(3, "28 fields"), (4, "29 fields")]
    assert long_rows == find_long_rows(peek)
    assert read_rows(peek_export(GOOD), long_rows="keep").attrs.get("long_rows") is None


@pytest.mark.parametrize(("file", "header_row", "titles"), [
    ("title_rows_above_header.xlsx", 4, [(1, "Opportunities by Stage - West & East"),
                                         (2, "As of 11/23/2026"), (3, "")]),
    ("title_rows_gb18030.csv", 3, [(1, "商机列表（华东/华南）"), (2, "导出时间：2026-11-23 09:14")]),
])
def test_reader_reports_the_rows_above_the_header(file: str, header_row: int,
                                                   titles: list[tuple[int, str]]) -> None:
    from pipereview.readers import peek_export

    known = {cell.strip().casefold() for fixture in GOOD.parent.glob("*.csv")
             for cell in fixture.read_text(encoding="utf-8").splitlines()[0].replace('"', "")
             .split(",")}
    peek = peek_export(BAD / file, known_headers=known)
    assert peek.header_row == header_row
    got = [(n, cells[0] if cells else "") for n, cells in peek.title_rows]
    assert [n for n, _ in got] == [n for n, _ in titles]
    for (_, text), (_, start) in zip(got, titles, strict=True):
        assert text.startswith(start)

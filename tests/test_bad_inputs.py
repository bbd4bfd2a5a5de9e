"""The corpus of malformed exports in tests/data/bad/, run through the CLI (cases.yaml).

Every case ingests one file for 2026-W47 with ``--replace`` into a store that already
holds a good 2026-W47, and checks the exit status, the message, the quarantine file and
that a refused ingest leaves the stored week byte for byte as it was. The whole output and
the quarantine file's reasons are also compared, word for word, with the case's file in
tests/data/bad/expected/: a change to any message a user reads shows as a diff to review
(set PIPEREVIEW_UPDATE_GOLDEN=1 to rewrite them after a reviewed change). Every case is also
checked for row accounting (no row of a file disappears uncounted), and a week of good
and bad exports goes through the weekly batch.
"""

from __future__ import annotations

import csv
import io
import json
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
from pipereview.core._errors import InputError, PipereviewError
from pipereview.history._intake import ingest_folder, quarantine_name
from pipereview.history._store import SnapshotStore
from pipereview.ingest._export import read_export

BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "headers" / "odoo.csv"
WEEK = "2026-W47"
# cases.yaml, then one cases-<topic>.yaml per class of input added since, in name order
CASE_FILES = sorted(BAD.glob("cases*.yaml"))
CASES: list[dict[str, Any]] = [
    case for path in CASE_FILES for case in yaml.safe_load(path.read_text(encoding="utf-8"))
]
SKIP_REASONS = ("blank row", "footer", "total row", "above the header")
HELPERS = {"make_fixtures.py", *(p.name for p in CASE_FILES)}  # not exports
TINY = Path(__file__).parent / "data" / "notebooks" / "tiny_team.ipynb"
EXPECTED = BAD / "expected"
# the output is compared line for line: no wrapping at the width of a terminal
WIDE = {"COLUMNS": "100000"}
SUMMARY = re.compile(r"(\d+) rows read, (\d+) kept, (\d+) rejected, (\d+) skipped")


def _case_id(case: dict[str, Any]) -> str:
    return case["file"] + ("[" + " ".join(case["args"]) + "]" if case.get("args") else "")


def _fold(text: str) -> str:
    return " ".join(text.split())


def _run(args: list[str]) -> Any:
    return CliRunner(env=WIDE).invoke(app, args, catch_exceptions=True)


def _expected_path(case: dict[str, Any]) -> Path:
    return EXPECTED / (re.sub(r"[^A-Za-z0-9_.-]+", "_", _case_id(case)).strip("_") + ".txt")


def _what_a_user_reads(case: dict[str, Any], output: str, store: Path) -> str:
    """The output and the quarantine file's rows, with this run's folders as placeholders."""
    text = output.replace(str(BAD), "{bad}").replace(str(store), "{store}")
    path = store / "quarantine" / WEEK / quarantine_name(BAD / case["file"])
    if path.exists():
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        rows = [
            f"  row {row}: {reason}"
            for row, reason in zip(frame["row"], frame["reason"], strict=True)
        ]
        text += "\n".join(["--- quarantine reasons", *rows]) + "\n"
    # the quarantine file's name carries a hash of the export's path
    return re.sub(r"\.[0-9a-f]{8}\.quarantine\.csv", ".<hash>.quarantine.csv", text)


def _check_against_expected(case: dict[str, Any], text: str) -> None:
    path = _expected_path(case)
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no expected output {path}: run with PIPEREVIEW_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"the output differs from {path.name}:\n{text}"


def _args(case: dict[str, Any]) -> list[str]:
    return [str(a).replace("{bad}", str(BAD)) for a in case.get("args", [])]


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
    files = {p.name for p in BAD.iterdir() if p.is_file() and p.name not in HELPERS}
    described = {case["file"] for case in CASES}
    assert files == described
    assert len(files) >= 30
    assert {case["exit"] for case in CASES} == {0, 1}


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input(case: dict[str, Any], store: Path) -> None:
    path = BAD / case["file"]
    before = _snapshot_bytes(store)
    needs = f" (waits for: {case['needs']})" if case.get("needs") else ""

    result = _run(
        ["ingest", str(path), "--week", WEEK, "--store", str(store), "--replace", *_args(case)]
    )

    output = _fold(result.output)
    assert "Traceback" not in result.output
    assert result.exit_code == case["exit"], f"{result.output}{needs}"
    for expected in case["message"]:
        options = expected if isinstance(expected, list) else [expected]
        assert any(_fold(str(o)) in output for o in options), (
            f"{options!r} not in the output:\n{result.output}{needs}"
        )
    if case["exit"]:
        # the error goes to stderr, and names the file
        assert case["file"] in _fold(result.stderr)
        assert _snapshot_bytes(store) == before, "a refused ingest changed the stored week"
    else:
        assert len(SnapshotStore(store).read(WEEK)) == case["stored_rows"]
    for key, pattern in (("rejected", r"{n} (row\(s\) )?rejected"), ("skipped", r"{n} skipped")):
        if case.get(key):
            assert re.search(pattern.format(n=case[key]), output), (
                f"the output does not count {case[key]} {key} row(s):\n{result.output}{needs}"
            )
    _check_quarantine(case, store, needs)
    _check_against_expected(case, _what_a_user_reads(case, result.output, store))


def test_every_case_has_its_expected_output() -> None:
    assert {p.name for p in EXPECTED.iterdir()} == {_expected_path(c).name for c in CASES}


def _check_quarantine(case: dict[str, Any], store: Path, needs: str) -> None:
    path = store / "quarantine" / WEEK / quarantine_name(BAD / case["file"])
    assert path.name.startswith(f"{Path(case['file']).stem}.")  # named after its export
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


@pytest.mark.slow  # starts the program twice
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    args = [
        sys.executable,
        "-m",
        "pipereview",
        "ingest",
        str(BAD / "empty_0_bytes.csv"),
        "--week",
        WEEK,
        "--store",
        str(tmp_path / "store"),
    ]
    plain = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    debug = subprocess.run(
        [*args[:3], "--debug", *args[3:]], capture_output=True, text=True, env=env, timeout=60
    )
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "empty_0_bytes.csv is empty (0 bytes)" in plain.stderr
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert "pipereview.core._errors.InputError" in debug.stderr


def test_refused_file_leaves_weeks_unchanged(store: Path) -> None:
    listing = _run(["weeks", "--store", str(store)])
    assert listing.exit_code == 0
    assert WEEK in listing.output
    for week in (WEEK, "2026-W48"):  # the stored week (replace) and a new one
        result = _run(
            [
                "ingest",
                str(BAD / "many_problems.csv"),
                "--week",
                week,
                "--store",
                str(store),
                "--replace",
            ]
        )
        assert result.exit_code == 1
    after = _run(["weeks", "--store", str(store)])
    assert after.output == listing.output
    assert SnapshotStore(store).weeks() == [WEEK]


def test_reader_can_keep_rows_wider_than_the_header() -> None:
    from pipereview.ingest._csvrows import find_long_rows
    from pipereview.ingest._readers import peek_export, read_rows

    peek = peek_export(BAD / "more_fields_than_header.csv")
    frame = read_rows(peek, long_rows="keep")
    assert frame.index.tolist() == [2, 3, 4]
    assert frame.shape[1] == len(peek.header) == 27
    long_rows = frame.attrs["long_rows"]
    assert [(p.row, p.got) for p in long_rows] == [(3, "28 fields"), (4, "29 fields")]
    assert long_rows == find_long_rows(peek)
    assert read_rows(peek_export(GOOD), long_rows="keep").attrs.get("long_rows") is None


@pytest.mark.parametrize(
    ("file", "header_row", "titles"),
    [
        (
            "title_rows_above_header.xlsx",
            4,
            [(1, "Opportunities by Stage - West & East"), (2, "As of 11/23/2026"), (3, "")],
        ),
        (
            "title_rows_gb18030.csv",
            3,
            [(1, "商机列表（华东/华南）"), (2, "导出时间：2026-11-23 09:14")],
        ),
    ],
)
def test_reader_reports_the_rows_above_the_header(
    file: str, header_row: int, titles: list[tuple[int, str]]
) -> None:
    from pipereview.ingest._readers import peek_export

    known = {
        cell.strip().casefold()
        for fixture in GOOD.parent.glob("*.csv")
        for cell in fixture.read_text(encoding="utf-8").splitlines()[0].replace('"', "").split(",")
    }
    peek = peek_export(BAD / file, known_headers=known)
    assert peek.header_row == header_row
    got = [(n, cells[0] if cells else "") for n, cells in peek.title_rows]
    assert [n for n, _ in got] == [n for n, _ in titles]
    for (_, text), (_, start) in zip(got, titles, strict=True):
        assert text.startswith(start)


# --- row accounting: no row disappears without being counted and quarantined -------------

_OPTIONS = {
    "--encoding": "encoding",
    "--crm": "column_map",
    "--map": "column_map",
    "--model": "stage_model",
    "--team": "team",
}


def _options(case: dict[str, Any]) -> dict[str, str]:
    args = _args(case)
    return {_OPTIONS[flag]: value for flag, value in zip(args[::2], args[1::2], strict=True)}


def _rows_in_file(path: Path, encoding: str | None) -> int:
    """The rows of the file as a spreadsheet numbers them, counted without pipereview:
    CSV records, or the rows of the XLSX sheet holding the most rows (up to the last one
    with a value)."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            counts = []
            for sheet in book.worksheets:
                sheet.reset_dimensions()  # every real row, whatever <dimension> says
                filled = [
                    n
                    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                    if any(v is not None and str(v).strip() for v in row)
                ]
                counts.append(max(filled, default=0))
        finally:
            book.close()
        return max(counts)
    text = path.read_bytes().decode(encoding or "utf-8")
    delimiter = max(",;\t|", key=text.count)
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_row_is_kept_rejected_or_skipped(case: dict[str, Any]) -> None:
    """Each row of the file but the header is counted once (kept, rejected or skipped),
    and each rejected or skipped row is in the quarantine with its reason."""
    path = BAD / case["file"]
    if case["exit"] == 1 and not case.get("rejected"):  # refused as a whole: nothing counted
        with pytest.raises(PipereviewError, match=re.escape(case["file"])):
            read_export(path, week=WEEK, **_options(case))  # type: ignore[arg-type]
        return
    result = read_export(path, week=WEEK, **_options(case))  # type: ignore[arg-type]
    report = result.report
    if path.suffix in (".csv", ".xlsx"):
        assert report.rows_read == _rows_in_file(path, report.encoding) - 1  # all but the header
    assert report.rows_read == report.rows_kept + report.rows_rejected + report.rows_skipped
    assert len(result.snapshot) == report.rows_kept
    assert len(result.quarantine) == report.rows_rejected + report.rows_skipped
    kept = set(result.snapshot["source_row"].astype(int))
    quarantined = set(result.quarantine["row"].astype(int))
    assert not kept & quarantined
    rows = set(range(1, report.rows_read + 2)) - {report.header_row}
    assert kept | quarantined == rows, "rows neither kept nor quarantined"
    assert result.quarantine["reason"].map(bool).all()
    assert report.rows_rejected == case.get("rejected", 0)
    assert report.rows_skipped == case.get("skipped", 0)
    if case["exit"] == 0:
        assert report.rows_kept == case["stored_rows"]


ROW_LEVEL = [c for c in CASES if c["exit"] == 1 and c.get("rejected")]


@pytest.mark.parametrize("case", ROW_LEVEL, ids=_case_id)
def test_keep_going_stores_the_rest_and_counts_every_row(case: dict[str, Any], store: Path) -> None:
    """With --keep-going the good rows are stored; the summary, the stored week's record
    and the quarantine file account for every other row."""
    result = _run(
        [
            "ingest",
            str(BAD / case["file"]),
            "--week",
            WEEK,
            "--store",
            str(store),
            "--replace",
            "--keep-going",
            *_args(case),
        ]
    )
    assert result.exit_code == 0, result.output
    read, kept, rejected, skipped = map(int, SUMMARY.search(_fold(result.output)).groups())
    assert (rejected, skipped) == (case["rejected"], case.get("skipped", 0))
    assert read == kept + rejected + skipped
    assert len(SnapshotStore(store).read(WEEK)) == kept
    info = SnapshotStore(store).info(WEEK)
    assert (info["rows_rejected"], info["rows_skipped"]) == (rejected, skipped)
    [counts] = info["files"]
    assert counts == {
        "file": case["file"],
        "rows_read": read,
        "rows_kept": kept,
        "rows_rejected": rejected,
        "rows_skipped": skipped,
        "quarantine": f"quarantine/{WEEK}/{quarantine_name(BAD / case['file'])}",
    }
    quarantine = pd.read_csv(store / counts["quarantine"], encoding="utf-8-sig", dtype=str)
    assert len(quarantine) == rejected + skipped
    assert f"quarantine: {store / counts['quarantine']}" in _fold(result.output)


def test_merged_cells_take_the_value_shown() -> None:
    result = read_export(BAD / "merged_team_cells.xlsx", week=WEEK)
    deals = result.snapshot.set_index("deal_id")
    assert deals["team"].to_dict() == {
        "SJ20261102011": "华东大区",
        "SJ20261020004": "华东大区",
        "SJ20260911002": "华南大区",
        "SJ20261105009": "华南大区",
        "SJ20261111015": "华南大区",
    }
    assert deals.loc["SJ20261020004", "owner"] == "王磊"
    assert not result.report.warnings  # no deal fell back to the default team


def test_merged_spacer_column_is_not_a_column() -> None:
    result = read_export(BAD / "merged_title_and_group_header.xlsx", week=WEEK)
    assert result.snapshot["amount"].tolist() == [12000.0, 48500.0, 7250.0]
    assert result.report.ignored_columns == ()


def test_gbk_csv_reads_as_chinese() -> None:
    result = read_export(BAD / "excel_gbk_chinese_header.csv", week=WEEK)
    assert result.report.encoding == "gb18030"
    assert result.snapshot["owner"].tolist() == ["张赟", "李珺", "陈静"]
    assert result.snapshot["amount"].tolist() == [860000.0, 1250000.0, 1200000.0]


# --- the week through the batch ----------------------------------------------------------

GOOD_AND_BAD = {
    "hubspot.csv": GOOD.parent / "hubspot.csv",  # good
    "excel_gbk_chinese_header.csv": BAD / "excel_gbk_chinese_header.csv",  # repaired encoding
    "merged_title_and_group_header.xlsx": BAD / "merged_title_and_group_header.xlsx",  # layout
    "negative_amount.csv": BAD / "negative_amount.csv",  # 1 row rejected
}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_week_of_good_and_bad_exports_through_the_batch(tmp_path: Path) -> None:
    week_dir = tmp_path / "exports" / WEEK
    week_dir.mkdir(parents=True)
    for name, source in GOOD_AND_BAD.items():
        shutil.copy(source, week_dir / name)
    store = tmp_path / "store"

    # an unreadable file refuses the whole week, even with keep_going: its rows cannot be
    # counted, so nothing is stored
    shutil.copy(BAD / "login_page_saved_as.csv", week_dir)
    with pytest.raises(InputError, match=r"login_page_saved_as\.csv is a web page"):
        ingest_folder(tmp_path / "exports", store=store, keep_going=True)
    assert SnapshotStore(store).weeks() == []
    (week_dir / "login_page_saved_as.csv").unlink()

    # a rejected row refuses the week unless keep_going
    with pytest.raises(InputError, match=r"week 2026-W47 was not stored: 1 row\(s\) rejected"):
        ingest_folder(tmp_path / "exports", store=store)
    assert SnapshotStore(store).weeks() == []
    [outcome] = ingest_folder(tmp_path / "exports", store=store, keep_going=True)
    counts = {
        r.file.rsplit("/", 1)[-1]: (r.rows_read, r.rows_kept, r.rows_rejected, r.rows_skipped)
        for r in outcome.reports
    }
    assert counts == {
        "excel_gbk_chinese_header.csv": (3, 3, 0, 0),
        "hubspot.csv": (3, 3, 0, 0),
        "merged_title_and_group_header.xlsx": (6, 3, 0, 3),
        "negative_amount.csv": (3, 2, 1, 0),
    }
    assert outcome.rows == 11
    assert sorted(p.name for p in outcome.quarantine_files) == [
        quarantine_name(week_dir / "merged_title_and_group_header.xlsx"),
        quarantine_name(week_dir / "negative_amount.csv"),
    ]

    result = _run(
        [
            "run",
            "--week",
            WEEK,
            "--store",
            str(store),
            "--out",
            str(tmp_path / "out"),
            "--notebook",
            str(TINY),
            "--workers",
            "2",
        ]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / WEEK / "manifest.json").read_text(encoding="utf-8"))
    assert {t["team"] for t in manifest["teams"]} == set(outcome.teams)
    assert all(t["status"] == "ok" for t in manifest["teams"])
    opened = sum(t["headline"]["open_deals"] for t in manifest["teams"])
    assert opened == len(SnapshotStore(store).read(WEEK))  # every stored row in a team's run
    inputs = manifest["inputs"]
    assert (inputs["rows"], inputs["rows_rejected"], inputs["rows_skipped"]) == (11, 1, 3)
    by_file = {f["file"]: f for f in inputs["files"]}
    assert (
        by_file["negative_amount.csv"]["quarantine"]
        == f"quarantine/{WEEK}/{quarantine_name(week_dir / 'negative_amount.csv')}"
    )
    assert by_file["hubspot.csv"]["quarantine"] is None
    for entry in inputs["files"]:  # the manifest accounts for every row of every export
        assert (
            entry["rows_read"]
            == entry["rows_kept"] + entry["rows_rejected"] + entry["rows_skipped"]
        )
        if entry["quarantine"]:
            quarantined = pd.read_csv(store / entry["quarantine"], encoding="utf-8-sig")
            assert len(quarantined) == entry["rows_rejected"] + entry["rows_skipped"]


FOLDER_CASES = [c for c in CASES if not c.get("args")]  # ingest_folder takes no per-file options


@pytest.mark.slow  # the weekly job's path; the same cases run through the CLI above
@pytest.mark.parametrize("case", FOLDER_CASES, ids=_case_id)
def test_every_case_through_the_batch_ingest(case: dict[str, Any], tmp_path: Path) -> None:
    """The weekly job's folder ingest (``ingest_folder``, what ``pipereview demo`` and the
    scheduled ingest of a week folder run) gives the CLI's outcome for every case: refused
    with the file named and nothing stored, or stored with every row accounted for."""
    from pipereview.core._errors import PipereviewError
    from pipereview.history._intake import ingest_folder

    week = tmp_path / "exports" / WEEK
    week.mkdir(parents=True)
    shutil.copy(BAD / case["file"], week / case["file"])
    store = tmp_path / "store"
    refused_at_once = case["exit"] == 1 and not case.get("rejected")
    if case["exit"] == 1:
        with pytest.raises(PipereviewError) as refused:
            ingest_folder(tmp_path / "exports", store=store)
        assert case["file"] in str(refused.value), str(refused.value)
        assert SnapshotStore(store).weeks() == []
    if refused_at_once:
        return
    [outcome] = ingest_folder(tmp_path / "exports", store=store, keep_going=True)
    [report] = outcome.reports
    assert report.rows_rejected == case.get("rejected", 0)
    assert report.rows_skipped == case.get("skipped", 0)
    assert report.rows_read == report.rows_kept + report.rows_rejected + report.rows_skipped
    assert len(SnapshotStore(store).read(WEEK)) == report.rows_kept
    if case["exit"] == 0:
        assert report.rows_kept == case["stored_rows"]
    if report.rows_rejected or report.rows_skipped:
        [quarantine] = outcome.quarantine_files
        assert len(pd.read_csv(quarantine, encoding="utf-8-sig", dtype=str)) == (
            report.rows_rejected + report.rows_skipped
        )

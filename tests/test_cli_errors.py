"""Every CLI command through the faults a user can cause: a clear message naming the thing,
exit status 1, never "internal error" (exit 3) and never a traceback.

The faults: bad week strings, a week the store does not hold, a damaged week (the one asked
for, or an older one), a foreign file in the store, and a store or output folder that
cannot be written (read-only, forbidden, full, a name too long). Tests run as root, so a
folder that cannot be written is simulated: the system calls that write under it fail with
the errno the system would give.
"""

from __future__ import annotations

import builtins
import errno
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from _trimmed import trimmed_export
from pipereview.cli import app
from pipereview.core._errors import SchemaError
from pipereview.history._intake import ingest_week
from pipereview.history._store import SnapshotStore

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports"
COMPANIONS = EXPORTS.parent / "companions"
CALLS = Path(__file__).parent / "data" / "forecast_calls"
BAD = Path(__file__).parent / "data" / "bad"
TINY = Path(__file__).parent / "data" / "notebooks" / "tiny_team.ipynb"
HISTORY = Path(__file__).parent / "data" / "history" / "north_w47_generic.csv"
OLD, WEEK = "2026-W46", "2026-W47"
TEAM_FILES = ("north.csv", "west.csv")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two weeks of two teams (the sample's first 30 deals of each), as `pipereview ingest`
    stores them."""
    base = tmp_path_factory.mktemp("built")
    root = base / "store"
    for week in (OLD, WEEK):
        files = [trimmed_export(EXPORTS / week / name, base / week) for name in TEAM_FILES]
        ingest_week(files, week=week, store=root)
    return root


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "store")
    return tmp_path / "store"


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "300"})


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check(result: Result, code: int, *names: str | tuple[str, ...]) -> None:
    """The outcome a user relies on: the exit status, each name (or one of a tuple of
    wordings) in the output whatever its case, never an internal error or a traceback."""
    output = result.output
    assert result.exit_code != 3, output
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exit_code == code, output
    for name in names:
        options = name if isinstance(name, tuple) else (name,)
        assert any(_squeeze(o).lower() in _squeeze(output).lower() for o in options), (
            f"{name!r} not in:\n{output}"
        )


# --- the commands, each with the options that make it read or write a store --------------


def _commands(store: Path, out: Path, week: str | None) -> dict[str, list[str]]:
    w = ["--week", week] if week else []
    s = ["--store", str(store)]
    return {
        "ingest": [
            "ingest",
            str(EXPORTS / WEEK / "north.csv"),
            "--week",
            week or WEEK,
            *s,
            "--replace",
        ],
        "backfill": [
            "backfill",
            str(EXPORTS / WEEK / "north.csv"),
            "--history",
            str(HISTORY),
            "--week",
            week or WEEK,
            "--from",
            "2026-W45",
            *s,
            "--replace",
        ],
        "companions": [
            "companions",
            str(COMPANIONS / WEEK / "north-activities.csv"),
            "--week",
            week or WEEK,
            "--team",
            "North",
            *s,
            "--replace",
        ],
        "calls": [
            "calls",
            str(CALLS / "calls_bad_amount.csv"),
            "--week",
            week or WEEK,
            *s,
            "--replace",
        ],
        "weeks": ["weeks", *s],
        "changes": ["changes", *w, *s],
        "coach": ["coach", *w, *s, "--out", str(out / "coaching")],
        "run": [
            "run",
            *w,
            *s,
            "--out",
            str(out / "reports"),
            "--notebook",
            str(TINY),
            "--workers",
            "1",
        ],
        "serve": [
            "serve",
            *w,
            *s,
            "--prepare-only",
            "--state-dir",
            str(out / "state"),
            "--no-preheat",
        ],
        "verify": ["verify", *s],
        "coaching-log": ["coaching-log", *w, *s],
    }


#: Commands a week can be given to, and those that read the store without one.
WEEKED = [
    "ingest",
    "backfill",
    "companions",
    "calls",
    "changes",
    "coach",
    "run",
    "serve",
    "coaching-log",
]


def test_the_matrix_covers_every_command_that_touches_a_store() -> None:
    """A new command that takes --store must be added to the matrix."""
    takes_store = set()
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        if "store" in command.callback.__wrapped__.__code__.co_varnames:  # type: ignore[attr-defined]
            takes_store.add(name)
    assert takes_store - {"demo"} <= set(_commands(Path(), Path(), WEEK)), takes_store


@pytest.mark.parametrize(
    "week", ["0000-W01", "9999-W52", "2026-W54", "2026-W7", "../2026-W47", "2026-W47/../x"]
)
@pytest.mark.parametrize("command", WEEKED)
def test_bad_week_strings(store: Path, tmp_path: Path, command: str, week: str) -> None:
    result = _run(_commands(store, tmp_path, week)[command])
    _check(result, 1, "2026-W47")  # the message shows the form expected
    assert week.split("/")[0] in result.output


@pytest.mark.parametrize("command", ["changes", "coach", "run", "serve"])
def test_a_week_the_store_does_not_hold(store: Path, tmp_path: Path, command: str) -> None:
    result = _run(_commands(store, tmp_path, "2026-W10")[command])
    _check(result, 1, "2026-W10")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("command", ["changes", "coach", "run", "serve"])
def test_the_week_asked_for_is_damaged(store: Path, tmp_path: Path, command: str) -> None:
    _truncate(store / "snapshots" / f"{WEEK}.parquet")
    _check(_run(_commands(store, tmp_path, WEEK)[command]), 1, f"{WEEK}.parquet")


@pytest.mark.parametrize("command", ["weeks", "changes", "coach", "serve"])
def test_a_damaged_older_week_is_set_aside(store: Path, tmp_path: Path, command: str) -> None:
    """The intact weeks keep working; a warning names the damaged one."""
    _truncate(store / "snapshots" / f"{OLD}.parquet")
    result = _run(_commands(store, tmp_path, None)[command])
    _check(result, 0, f"{OLD}.parquet set aside", "truncated")


@pytest.mark.parametrize("command", ["weeks", "changes", "coach"])
def test_foreign_files_in_the_snapshots_folder(store: Path, tmp_path: Path, command: str) -> None:
    pd.DataFrame({"x": [1]}).to_parquet(store / "snapshots" / "2026-W40.parquet")
    pq.write_table(
        pq.read_table(store / "snapshots" / f"{OLD}.parquet"),
        store / "snapshots" / "export copy.parquet",
    )
    result = _run(_commands(store, tmp_path, None)[command])
    _check(
        result,
        0,
        "2026-W40.parquet set aside",
        "not a pipereview snapshot",
        "export copy.parquet set aside",
        "not a week file",
    )


def test_verify_names_each_problem_and_its_fix(store: Path, tmp_path: Path) -> None:
    assert _run(["verify", "--store", str(store)]).exit_code == 0
    _truncate(store / "snapshots" / f"{OLD}.parquet")
    pd.DataFrame({"x": [1]}).to_parquet(store / "snapshots" / "2026-W40.parquet")
    (store / "snapshots" / f".{WEEK}.parquet.abc.tmp").write_bytes(b"half")
    result = _run(["verify", "--store", str(store)])
    _check(
        result,
        1,
        f"{OLD}.parquet: truncated",
        f"--week {OLD} --replace",
        "2026-W40.parquet: not a pipereview snapshot",
        "interrupted write",
        "1 week(s) intact, 3 problem(s)",
    )
    result = _run(["verify", "--store", str(store), "--repair"])
    _check(result, 0, "set aside:", "1 week(s) intact, 0 problem(s)")
    assert sorted(p.name for p in (store / "snapshots").iterdir()) == [f"{WEEK}.parquet"]


# --- folders that cannot be written ---------------------------------------------------------


@contextmanager
def unwritable(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> Iterator[None]:
    """Every write under ``folder`` fails with ``code`` (EROFS, EACCES, ENOSPC, ...), as the
    system would: creating, opening for writing, renaming, making folders, Parquet."""
    top = os.path.abspath(folder)

    def hit(path: Any) -> bool:
        if isinstance(path, int):
            return False
        name = os.path.abspath(os.fsdecode(path))
        return name == top or name.startswith(top + os.sep)

    def fail(path: Any) -> None:
        raise OSError(code, os.strerror(code), os.fsdecode(path))

    real_open, real_mkdir, real_replace, real_rename = os.open, os.mkdir, os.replace, os.rename
    real_builtin, real_write_table = builtins.open, pq.write_table
    real_to_parquet = pd.DataFrame.to_parquet

    def os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and hit(path):
            fail(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def mkdir(path: Any, mode: int = 0o777, *, dir_fd: Any = None) -> None:
        if hit(path) and not os.path.isdir(path):
            fail(path)
        real_mkdir(path, mode, dir_fd=dir_fd)

    def moved(real: Any) -> Any:
        def move(src: Any, dst: Any, **kwargs: Any) -> None:
            if hit(dst):
                fail(dst)
            real(src, dst, **kwargs)

        return move

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax+") and hit(file):
            fail(file)
        return real_builtin(file, mode, *args, **kwargs)

    def write_table(table: Any, where: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(where, (str, os.PathLike)) and hit(where):
            fail(where)
        real_write_table(table, where, *args, **kwargs)

    def to_parquet(frame: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, (str, os.PathLike)) and hit(path):
            fail(path)
        return real_to_parquet(frame, path, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "replace", moved(real_replace))
    monkeypatch.setattr(os, "rename", moved(real_rename))
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(pq, "write_table", write_table)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    try:
        yield
    finally:
        monkeypatch.undo()


#: Each fault and the words that say it (pipereview's hint, or the system's reason).
FAULTS = {
    errno.EROFS: ("read-only",),
    errno.EACCES: ("permission",),
    errno.ENOSPC: ("disk is full", "no space left"),
    errno.ENAMETOOLONG: ("too long",),
}


@pytest.mark.parametrize("code", list(FAULTS), ids=[errno.errorcode[c] for c in FAULTS])
@pytest.mark.parametrize("command", ["ingest", "backfill", "coach", "run", "serve"])
def test_an_output_that_cannot_be_written(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, code: int
) -> None:
    """ingest and backfill write the store; coach, run and serve their output folder."""
    out = tmp_path / "out"
    target = store if command in ("ingest", "backfill") else out
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    with unwritable(monkeypatch, target, code):
        result = _run(_commands(store, out, WEEK)[command])
    _check(result, 1, FAULTS[code])
    assert str(target) in _squeeze(result.output) or str(target.name) in result.output
    after = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    assert after == before  # the store as it was


def test_a_read_only_store_still_reports_the_rows_problems_first(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unwritable(monkeypatch, store, errno.EROFS):
        result = _run(
            [
                "ingest",
                str(BAD / "negative_amount.csv"),
                "--week",
                "2026-W48",
                "--store",
                str(store),
            ]
        )
    _check(
        result,
        1,
        "negative_amount.csv",
        "1 row(s) rejected",
        "the store cannot be written",
        "read-only",
    )
    output = _squeeze(result.output)
    assert output.index("rejected") < output.index("cannotbewritten")


@pytest.mark.parametrize("code", list(FAULTS), ids=[errno.errorcode[c] for c in FAULTS])
def test_verify_repair_on_a_store_that_cannot_be_written(
    store: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    with unwritable(monkeypatch, store, code):
        result = _run(["verify", "--store", str(store), "--repair"])
    _check(result, 1, str(store), FAULTS[code])


def test_a_team_name_too_long_for_a_file_name(tmp_path: Path) -> None:
    """A 300-byte CJK team name (100 characters of 3 bytes) never reaches the store: the
    name rule refuses it, naming the column, so coach never meets it. A file name too long
    met anyway is exit 1 naming it (ENAMETOOLONG in test_an_output_that_cannot_be_written)."""
    team = "销" * 100
    store = tmp_path / "store"
    ingest_week([trimmed_export(EXPORTS / WEEK / "north.csv", tmp_path)], week=WEEK, store=store)
    frame = SnapshotStore(store).read(WEEK)
    frame["team"] = team
    with pytest.raises(SchemaError, match=r"column 'team'.*folder or file name"):
        SnapshotStore(store).add(frame, WEEK, replace=True)
    assert set(SnapshotStore(store).read(WEEK)["team"]) == {"North"}
    result = _run(["coach", "--store", str(store), "--out", str(tmp_path / "coaching")])
    _check(result, 0)

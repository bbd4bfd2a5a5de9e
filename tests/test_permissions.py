"""Every file and folder pipereview writes gets the permissions the user's umask gives
(0644 and 0755 under umask 022, 0640 and 0750 under 027), as any other program's files:
a web server or a colleague running as another user of the group can read the reports,
sheets, store and dashboard state. Folders that exist already keep their own mode."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipereview.cli import app as cli

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "data" / "samples" / "exports"
TARGETS = ROOT / "data" / "samples" / "targets.csv"


# the whole flow takes ~13-25 s a umask: in the full suite only
@pytest.fixture(
    params=[
        pytest.param(0o022, marks=pytest.mark.slow),
        pytest.param(0o027, marks=pytest.mark.slow),
    ],
    ids=["umask022", "umask027"],
)
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def wrong_modes(root: Path, umask: int) -> list[str]:
    """``path: mode`` of everything under ``root`` whose mode is not what ``umask`` gives a
    new file (0666 masked) or folder (0777 masked); ``root`` itself included."""
    wrong = []
    for path in [root, *sorted(root.rglob("*"))]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        if mode != expected:
            wrong.append(f"{path.relative_to(root.parent)}: {oct(mode)}, not {oct(expected)}")
    return wrong


def invoke(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_everything_written_follows_the_umask(umask: int, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(EXPORTS / "2026-W36", inputs / "2026-W36")
    # a week with a row refused (an amount that is no number): its quarantine file is kept
    week = inputs / "2026-W37"
    week.mkdir()
    for name in ("north.csv", "west.csv"):
        text = (EXPORTS / "2026-W37" / name).read_text(encoding="utf-8-sig")
        if name == "north.csv":
            lines = text.splitlines()
            cells = lines[1].split(",")
            lines[1] = ",".join([*cells[:5], "lots", *cells[7:]])  # "102,000.00" is 2 cells
            text = "\n".join(lines) + "\n"
        (week / name).write_text(text, encoding="utf-8")
    work = tmp_path / "work"  # made by pipereview, as everything below it
    store = work / "store"

    invoke(
        [
            "ingest",
            *map(str, sorted((inputs / "2026-W36").iterdir())),
            "--week",
            "2026-W36",
            "--store",
            str(store),
        ]
    )
    invoke(
        [
            "ingest",
            *map(str, sorted(week.iterdir())),
            "--week",
            "2026-W37",
            "--keep-going",
            "--store",
            str(store),
        ]
    )
    assert any("quarantine" in p.name for p in store.rglob("*")), sorted(store.rglob("*"))
    invoke(["changes", "--store", str(store)])
    for lang in ("en", "zh"):
        invoke(["coach", "--store", str(store), "--lang", lang, "--out", str(work / "coaching")])
    invoke(
        [
            "serve",
            "--prepare-only",
            "--no-preheat",
            "--state-dir",
            str(work / "served"),
            "--store",
            str(store),
            "--targets",
            str(TARGETS),
        ]
    )

    # the writers the weekly batch uses, called one by one (the batch itself starts kernels)
    from pipereview.config import write_config
    from pipereview.core._exports import write_table
    from pipereview.core._staging import staged_folder
    from pipereview.dashboard import DashboardState
    from pipereview.delivery._review import WeeklyReview
    from pipereview.history._store import SnapshotStore
    from pipereview.history._trail import with_deal_keys
    from pipereview.serve import prepare_dashboard

    state = prepare_dashboard(work / "state", store=store, warm=False)
    history = with_deal_keys(SnapshotStore(store).history())
    board = DashboardState(history, team="North", export_dir=work / "state" / "exports")
    board.export_actions()
    review = WeeklyReview(history, team="North", week="2026-W37")
    review.write_headline(work / "reports" / "North" / "headline.json")
    frame = pd.DataFrame({"deal": ["MES"], "amount": [1.0]})
    for fmt in ("csv", "xlsx"):
        write_table(frame, work / "tables" / f"deals.{fmt}")
    write_config({"lang": "zh"}, work / "settings" / "pipereview.yaml")
    with staged_folder(work / "pack") as staging:
        (staging / "index.html").write_text("whole", encoding="utf-8")
    assert state.notebook.exists()

    written = {p.relative_to(work).parts[0] for p in work.iterdir()}
    assert written == {
        "store",
        "coaching",
        "served",
        "state",
        "reports",
        "tables",
        "settings",
        "pack",
    }
    assert wrong_modes(work, umask) == []


def test_a_store_folder_keeps_its_own_mode(umask: int, tmp_path: Path) -> None:
    # an administrator made the store group-writable and setgid, so the team shares it
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o2770)
    invoke(
        [
            "ingest",
            *map(str, sorted((EXPORTS / "2026-W36").iterdir())),
            "--week",
            "2026-W36",
            "--store",
            str(store),
        ]
    )
    assert stat.S_IMODE(store.stat().st_mode) == 0o2770
    files = [p for p in store.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


@pytest.mark.slow  # a kernel per team
def test_a_weekly_batch_follows_the_umask(tmp_path: Path) -> None:
    from pipereview.delivery._batch import run_batch
    from pipereview.history._intake import ingest_folder

    old = os.umask(0o027)
    try:
        inputs = tmp_path / "inputs"
        inputs.mkdir()
        (inputs / "2026-W36").symlink_to(EXPORTS / "2026-W36")
        work = tmp_path / "work"
        ingest_folder(inputs, store=work / "store")
        tiny = Path(__file__).resolve().parent / "data" / "notebooks" / "tiny_team.ipynb"
        result = run_batch(
            "2026-W36",
            store=work / "store",
            out_dir=work / "reports",
            teams=["North"],
            notebook=tiny,
            workers=1,
        )
        assert [run.status for run in result.teams] == ["ok"]
    finally:
        os.umask(old)
    assert (work / "reports" / "2026-W36" / "index.html").exists()
    assert wrong_modes(work, 0o027) == []

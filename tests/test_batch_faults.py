"""The weekly batch under faults: a team notebook that raises, hangs, kills its kernel or
its Dask worker, leaves an output out, or meets a full disk. Every time the other teams
complete, the manifest says what happened to whom, nothing partial is taken for complete,
and a re-run with ``resume=True`` runs only what failed and completes the week.

The faults are planted by ``data/notebooks/faulty_team.ipynb``: its ``fault`` hits the
``victim`` team (West) only, and only while the ``trigger`` file exists, so removing the
file lets the same notebook (the same fingerprint) succeed on the re-run."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import psutil
import pytest
from typer.testing import CliRunner

from _processes import alive, kernel_processes
from pipereview.cli import app
from pipereview.core._errors import PipereviewError
from pipereview.delivery import _batch as batch
from pipereview.delivery import _teamrun as teamrun
from pipereview.delivery._batch import run_batch

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

FAULTY = Path(__file__).resolve().parent / "data" / "notebooks" / "faulty_team.ipynb"
W47 = "2026-W47"
TEAMS = ["North", "West"]


def _faulty(tmp_path: Path, fault: str) -> tuple[Path, Path]:
    """A copy of the faulty notebook planting ``fault`` for West while the returned
    trigger file exists (it does, until the test removes it)."""
    trigger = tmp_path / f"{fault}.armed"
    trigger.write_text("", encoding="utf-8")
    notebook = tmp_path / f"{fault}.ipynb"
    notebook.write_text(
        FAULTY.read_text(encoding="utf-8")
        .replace('fault = \\"none\\"', f'fault = \\"{fault}\\"')
        .replace('trigger = \\"\\"', f'trigger = \\"{trigger}\\"'),
        encoding="utf-8",
    )
    return notebook, trigger


def _teams(out: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((out / W47 / "manifest.json").read_text(encoding="utf-8"))
    return {t["team"]: t for t in manifest["teams"]}


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / W47 / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _kernels() -> list[psutil.Process]:
    """Live kernel processes of this test, launched or forked (conftest makes a runtime
    folder per test)."""
    return kernel_processes(os.environ["JUPYTER_RUNTIME_DIR"])


def _until(check: Callable[[], bool], seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The teams the batch runs (not the ones it keeps), in the order they start."""
    teams: list[str] = []
    real = batch.run_team

    def counting(notebook: Path, team: str, *args: Any, **kwargs: Any) -> batch.TeamRun:
        teams.append(team)
        return real(notebook, team, *args, **kwargs)

    monkeypatch.setattr(batch, "run_team", counting)
    return teams


def _rerun_finishes(
    notebook: Path, trigger: Path, store: Path, out: Path, executed: list[str], **options: Any
) -> None:
    """The fault gone, a resumed run runs West alone and the week is complete."""
    trigger.unlink()
    executed.clear()
    result = run_batch(
        W47, store=store, out_dir=out, notebook=notebook, teams=TEAMS, resume=True, **options
    )
    assert result.ok, [t.error for t in result.teams]
    if "scheduler" not in options:  # a cluster's workers run their own import of the batch
        assert executed == ["West"]
    teams = _teams(out)
    assert teams["North"]["resumed"] and not teams["West"]["resumed"]
    assert all(t["status"] == "ok" and t["reason"] == "" for t in teams.values())
    assert _manifest(out)["complete"] is True
    for team in TEAMS:
        assert sorted(p.name for p in (out / W47 / team).iterdir()) >= sorted(batch.EXPECTED)
    assert not list(out.glob(".*"))  # no staging, no temporary file left


def test_a_raising_team_is_failed_with_its_cell_and_line(
    sample_store: Path, tmp_path: Path, executed: list[str]
) -> None:
    notebook, trigger = _faulty(tmp_path, "raise")
    result = run_batch(
        W47, store=sample_store, out_dir=tmp_path / "out", notebook=notebook, teams=TEAMS, workers=2
    )
    assert not result.ok and sorted(executed) == TEAMS
    teams = _teams(tmp_path / "out")
    assert teams["North"]["status"] == "ok" and teams["North"]["reason"] == ""
    west = teams["West"]
    assert (west["status"], west["reason"]) == ("failed", "error")
    # cell 3 of the executed notebook (papermill's injected parameters are cell 2)
    assert west["error"] == (
        "RuntimeError: planted failure for West (cell 3 of review.ipynb, "
        'line 10: raise RuntimeError(f"planted failure for {team}"))'
    )
    assert "headline" not in west["outputs"] and west["headline"] == {}
    assert _manifest(tmp_path / "out")["complete"] is False
    assert "failed: RuntimeError: planted failure for West (cell 3" in (
        tmp_path / "out" / W47 / "index.html"
    ).read_text(encoding="utf-8")
    _rerun_finishes(notebook, trigger, sample_store, tmp_path / "out", executed)


@pytest.mark.parametrize(
    ("limits", "said"),
    [
        (
            {"team_timeout": 6},
            "timed out: still running after the team limit of 6 s "
            "(team_timeout) in cell 3 of review.ipynb; its kernel was killed",
        ),
        (
            {"timeout": 8},
            "timed out: a cell ran longer than the cell limit of 8 s (timeout) "
            "in cell 3 of review.ipynb",
        ),
    ],
)
def test_a_hanging_team_is_stopped_at_its_limit_and_its_processes_killed(
    sample_store: Path, tmp_path: Path, executed: list[str], limits: dict[str, int], said: str
) -> None:
    notebook, trigger = _faulty(tmp_path, "hang")
    out = tmp_path / "out"
    start = time.perf_counter()
    result = run_batch(
        W47, store=sample_store, out_dir=out, notebook=notebook, teams=TEAMS, workers=2, **limits
    )  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    limit = next(iter(limits.values()))
    assert not result.ok and elapsed < limit + 20  # stopped near its limit, not in an hour
    teams = _teams(out)
    assert teams["North"]["status"] == "ok"
    west = teams["West"]
    assert (west["status"], west["reason"], west["error"]) == ("failed", "timed out", said)
    assert limit <= west["duration_s"] < limit + 15
    assert _manifest(out)["limits"] == {
        "cell_timeout_s": limits.get("timeout", 600),
        "team_timeout_s": limits.get("team_timeout"),
    }
    # the kernel and the process it started are gone
    child = int((out / W47 / "West" / "child.pid").read_text(encoding="utf-8"))
    assert _until(lambda: not alive(child) and not _kernels()), (child, _kernels())
    assert "time.sleep(3600)" not in (out / W47 / "West" / "review.html").read_text(
        encoding="utf-8"
    )  # the partial report is there, code-free, for the reader
    _rerun_finishes(notebook, trigger, sample_store, out, executed, **limits)


def _west_fails(store: Path, out: Path, notebook: Path, reason: str) -> dict[str, Any]:
    """Run the batch with the fault planted for West: North is ok, West failed with
    ``reason``; West's manifest entry."""
    result = run_batch(W47, store=store, out_dir=out, notebook=notebook, teams=TEAMS, workers=2)
    assert not result.ok
    teams = _teams(out)
    assert teams["North"]["status"] == "ok"
    west: dict[str, Any] = teams["West"]
    assert (west["status"], west["reason"]) == ("failed", reason)
    return west


def test_a_kernel_that_dies_fails_its_team_and_a_rerun_finishes(
    sample_store: Path, tmp_path: Path, executed: list[str]
) -> None:
    notebook, trigger = _faulty(tmp_path, "kill_kernel")
    out = tmp_path / "out"
    west = _west_fails(sample_store, out, notebook, "kernel died")
    assert west["error"].startswith(
        "kernel died in cell 3 of review.ipynb (killed by signal 9, SIGKILL"
    ), west["error"]
    assert west["attempts"] == 1  # a kernel dying mid-run is not a start-up race: no retry
    assert not _kernels()
    _rerun_finishes(notebook, trigger, sample_store, out, executed)


def test_a_team_lacking_an_output_is_never_ok(
    sample_store: Path, tmp_path: Path, executed: list[str]
) -> None:
    notebook, trigger = _faulty(tmp_path, "no_headline")
    out = tmp_path / "out"
    west = _west_fails(sample_store, out, notebook, "incomplete")
    assert west["error"] == (
        "incomplete: the notebook ran to the end but headline.json is missing or empty"
    )
    _rerun_finishes(notebook, trigger, sample_store, out, executed)


def test_resume_reruns_a_team_whose_folder_lost_a_file(
    sample_store: Path, tmp_path: Path, executed: list[str]
) -> None:
    notebook, trigger = _faulty(tmp_path, "none")
    out = tmp_path / "out"
    assert run_batch(
        W47, store=sample_store, out_dir=out, notebook=notebook, teams=TEAMS, workers=2
    ).ok
    (out / W47 / "West" / "review.html").write_bytes(b"")  # the manifest still says ok
    trigger.touch()
    _rerun_finishes(notebook, trigger, sample_store, out, executed)


def test_a_full_disk_while_writing_a_report_fails_that_team_only(
    sample_store: Path, tmp_path: Path, executed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook, trigger = _faulty(tmp_path, "none")
    real = teamrun.atomic_write

    @contextlib.contextmanager
    def disk_full(path: Path, *args: Any, **kwargs: Any) -> Iterator[IO[Any]]:
        with real(path, *args, **kwargs) as handle:
            if path.name == "review.html" and path.parent.name == "West" and trigger.exists():
                handle.write("<!DOCTYPE html><html><body>half")  # half written, then full
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            yield handle

    monkeypatch.setattr(teamrun, "atomic_write", disk_full)
    out = tmp_path / "out"
    west = _west_fails(sample_store, out, notebook, "disk full")
    assert west["error"].startswith("disk full: OSError: [Errno 28] No space left on device")
    assert "html" not in west["outputs"]
    assert sorted(p.name for p in (out / W47 / "West").iterdir()) == [
        "headline.json",
        "review.ipynb",
    ]  # no truncated review.html, no temporary file
    _rerun_finishes(notebook, trigger, sample_store, out, executed)


def test_a_full_disk_while_writing_the_week_keeps_last_weeks_folder(
    sample_store: Path, tmp_path: Path, executed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook, trigger = _faulty(tmp_path, "raise")
    out = tmp_path / "out"
    run_batch(W47, store=sample_store, out_dir=out, notebook=notebook, teams=TEAMS, workers=2)
    before = _tree(out / W47)  # last run: complete, West failed
    trigger.unlink()
    real = batch.write_text_file

    def disk_full(path: Path, text: str) -> None:
        if path.name == "manifest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, text)

    monkeypatch.setattr(batch, "write_text_file", disk_full)
    with pytest.raises(
        PipereviewError,
        match=r"the reports of 2026-W47 were not written "
        r"\(the disk is full: \[Errno 28\] No space left on device: .*"
        r"manifest.json'\); .*2026-W47 is as it was",
    ):
        run_batch(W47, store=sample_store, out_dir=out, notebook=notebook, teams=TEAMS, workers=2)
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--week",
            W47,
            "--store",
            str(sample_store),
            "--out",
            str(out),
            "--teams",
            ",".join(TEAMS),
            "--notebook",
            str(notebook),
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output and "--resume keeps the teams" in result.output
    assert _tree(out / W47) == before  # last run's week, byte for byte
    assert sorted(p.name for p in out.iterdir()) == [W47]  # no staging left behind
    monkeypatch.setattr(batch, "write_text_file", real)
    trigger.touch()
    _rerun_finishes(notebook, trigger, sample_store, out, executed)


@pytest.mark.slow
def test_a_lost_dask_worker_fails_its_team_only_and_a_rerun_finishes(
    sample_store: Path, tmp_path: Path, executed: list[str]
) -> None:
    import dask
    from distributed import LocalCluster

    notebook, trigger = _faulty(tmp_path, "kill_worker")
    out = tmp_path / "out"
    # West kills the worker running it, on every worker it is given: after 2 deaths the
    # scheduler gives up on it (KilledWorker)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"PIPEREVIEW_FAULT_WORKER": "1"},
        ) as cluster,
    ):
        result = run_batch(
            W47,
            store=sample_store,
            out_dir=out,
            notebook=notebook,
            teams=TEAMS,
            scheduler=cluster.scheduler_address,
        )
        assert not result.ok
        teams = _teams(out)
        assert teams["North"]["status"] == "ok"
        west = teams["West"]
        assert (west["status"], west["reason"], west["attempts"]) == ("failed", "worker lost", 2)
        assert west["error"].startswith(
            "worker lost: every Dask worker that ran this team died while running it (2 tried"
        ), west["error"]
        assert _manifest(out)["complete"] is False
        assert _until(lambda: not _kernels())  # the lost workers' kernels followed them
        # North's result was held by a worker West killed later: it is never computed
        # again behind the batch's back, into the week or a staging folder
        week = _tree(out / W47)
        time.sleep(5)
        assert _tree(out / W47) == week and not list(out.glob(".*"))
        _rerun_finishes(
            notebook, trigger, sample_store, out, executed, scheduler=cluster.scheduler_address
        )

"""The weekly batch: every team runs, one team's failure stops no other, an interrupted
run keeps last run's outputs, hostile team names never reach the file system."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import InputError
from pipereview.delivery import _batch as batch
from pipereview.delivery._batch import run_batch
from pipereview.delivery._batchplan import safe_folder_name
from pipereview.history._store import SnapshotStore

# jupyter_client leaves kernel sockets for the garbage collector to close; that is a
# third-party ResourceWarning, not a fault of the batch
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

TINY = Path(__file__).resolve().parent / "data" / "notebooks" / "tiny_team.ipynb"
W47 = "2026-W47"


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", "..", ".hidden", "", "x\x00y"])
def test_hostile_team_names_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="cannot be used as a folder name"):
        safe_folder_name(name)


def test_every_team_runs_and_the_pack_is_complete(sample_store: Path, tmp_path: Path) -> None:
    here = os.getcwd()
    result = run_batch(
        W47, store=sample_store, out_dir=tmp_path, notebook=TINY, teams=["North", "华东"], workers=2
    )
    assert os.getcwd() == here  # parallel kernels never move the process's folder
    assert result.ok and [t.team for t in result.teams] == ["North", "华东"]
    folder = tmp_path / W47
    assert result.folder == folder and not list(tmp_path.glob(".*"))  # no staging left
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["week"] == W47 and manifest["inputs"]["week"] == W47
    assert {s["file"] for s in manifest["inputs"]["sources"]} >= {"north.csv", "huadong.csv"}
    north = {t["team"]: t for t in manifest["teams"]}["North"]
    rows = SnapshotStore(sample_store).read(W47)
    in_north = int((rows["team"] == "North").sum())  # the tiny notebook counts the rows
    assert north["status"] == "ok" and north["headline"]["open_deals"] == in_north
    assert north["outputs"] == {
        "notebook": "North/review.ipynb",
        "html": "North/review.html",
        "headline": "North/headline.json",
    }
    index = (folder / "index.html").read_text(encoding="utf-8")
    # links are relative and percent-encoded (a '#' or '?' in a team name stays a path)
    assert "2 of 2 teams ok" in index and 'href="./%E5%8D%8E%E4%B8%9C/review.html"' in index
    info = SnapshotStore(sample_store).info(W47)
    assert f"Inputs: {info['rows']:,} deals from {len(info['sources'])} file(s)</p>" in index
    page = (folder / "North" / "review.html").read_text(encoding="utf-8")
    assert f"North {in_north}" in page and "import json" not in page  # output shown, code not
    assert not re.search(r"""(src|href)=["']https?://""", page)  # opens offline
    # every team's keyed history is a private working file, never part of the pack
    assert not list(folder.rglob("history.parquet"))


def test_a_relative_out_folder_holds_when_the_process_folder_moves(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # papermill's file handler changes the process's folder around each read and write; a
    # pack written to a relative folder must not follow it (a team once failed with
    # "output folder demo/reports/.2026-W47.staging-…/North doesn't exist")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    moved: list[str] = []

    def move_away(run: batch.TeamRun) -> None:  # after the first team, as another thread might
        os.chdir(tmp_path / "elsewhere")
        moved.append(run.team)

    result = run_batch(
        W47,
        store=sample_store,
        out_dir="reports",
        notebook=TINY,
        teams=["North", "West"],
        workers=1,
        progress=move_away,
    )
    assert moved == ["North", "West"]
    assert result.ok, [(t.team, t.error) for t in result.teams]
    assert result.folder == tmp_path / "reports" / W47
    assert sorted(p.name for p in result.folder.iterdir() if p.is_dir()) == ["North", "West"]
    assert not (tmp_path / "elsewhere" / "reports").exists()


def test_one_failing_team_stops_no_other(sample_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "run",
            "--week",
            W47,
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path),
            "--teams",
            "North,West",
            "--notebook",
            str(TINY),
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    # the same batch with West's notebook raising: North completes, West is failed
    (tmp_path / "nb").mkdir()
    failing = tmp_path / "nb" / "tiny_team.ipynb"
    failing.write_text(
        TINY.read_text(encoding="utf-8").replace('fail_team = \\"\\"', 'fail_team = \\"West\\"'),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "run",
            "--week",
            W47,
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path),
            "--teams",
            "North,West",
            "--notebook",
            str(failing),
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 1
    manifest = json.loads((tmp_path / W47 / "manifest.json").read_text(encoding="utf-8"))
    status = {t["team"]: t for t in manifest["teams"]}
    assert status["North"]["status"] == "ok"
    assert status["West"]["status"] == "failed"
    assert "RuntimeError: planted failure for West" in status["West"]["error"]
    executed = (tmp_path / W47 / "West" / "review.ipynb").read_text(encoding="utf-8")
    assert "planted failure for West" in executed and "Traceback" in executed
    assert "failed: RuntimeError: planted failure for West" in (
        tmp_path / W47 / "index.html"
    ).read_text(encoding="utf-8")


def test_an_interrupted_run_keeps_last_runs_outputs(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_batch(W47, store=sample_store, out_dir=tmp_path, notebook=TINY, teams=["North"])
    before = _tree(tmp_path / W47)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_team", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_batch(W47, store=sample_store, out_dir=tmp_path, notebook=TINY, teams=["North"])
    assert _tree(tmp_path / W47) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [W47]  # staging removed


def test_the_kernels_start_while_the_history_is_read(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipereview.history._loader as loader

    events: list[str] = []
    real_pool, real_load = batch.KernelPool, loader.load_history

    class Pool(real_pool):  # type: ignore[misc, valid-type]
        def __init__(self, teams: int, **kwargs: object) -> None:
            events.append(f"kernels for {teams} team(s) starting")
            super().__init__(teams, **kwargs)  # type: ignore[arg-type]

        def close(self) -> None:
            events.append("kernels closed")
            super().close()

    def load(*args: object, **kwargs: object) -> object:
        events.append("history read")
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "KernelPool", Pool)
    monkeypatch.setattr(loader, "load_history", load)
    result = run_batch(W47, store=sample_store, out_dir=tmp_path, notebook=TINY, teams=["North"])
    assert result.ok
    assert events[:2] == ["kernels for 1 team(s) starting", "history read"]
    assert events[-1] == "kernels closed"

    def broken(*args: object, **kwargs: object) -> object:
        events.append("history read")
        raise RuntimeError("the store's disk went away")

    events.clear()
    monkeypatch.setattr(loader, "load_history", broken)
    with pytest.raises(RuntimeError, match="disk went away"):
        run_batch(W47, store=sample_store, out_dir=tmp_path / "2", notebook=TINY, teams=["North"])
    # the kernel started ahead is shut down, not left running
    assert events == ["kernels for 1 team(s) starting", "history read", "kernels closed"]


def test_unknown_team_and_language_are_refused(sample_store: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no team Nowhere in 2026-W47; teams: DACH, North"):
        run_batch(W47, store=sample_store, out_dir=tmp_path, teams=["Nowhere"])
    with pytest.raises(InputError, match="unknown language 'fr'"):
        run_batch(W47, store=sample_store, out_dir=tmp_path, lang="fr")
    assert not list(tmp_path.iterdir())


def test_resume_keeps_unchanged_teams_and_reruns_on_new_inputs(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_batch(
        W47, store=sample_store, out_dir=tmp_path, notebook=TINY, teams=["North", "West"], workers=2
    )
    executed = []
    real = batch.run_team

    def counting(notebook: Path, team: str, *args: object, **kwargs: object) -> batch.TeamRun:
        executed.append(team)
        return real(notebook, team, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "run_team", counting)
    again = run_batch(
        W47,
        store=sample_store,
        out_dir=tmp_path,
        notebook=TINY,
        teams=["North", "West"],
        resume=True,
    )
    assert executed == [] and all(t.resumed for t in again.teams)
    assert [t.fingerprint for t in again.teams] == [t.fingerprint for t in first.teams]
    assert (tmp_path / W47 / "North" / "review.html").exists()
    changed = tmp_path / "changed.ipynb"  # another notebook: a new fingerprint
    changed.write_text(
        TINY.read_text(encoding="utf-8").replace("print(team", "print( team"), encoding="utf-8"
    )
    run_batch(
        W47, store=sample_store, out_dir=tmp_path, notebook=changed, teams=["North"], resume=True
    )
    assert executed == ["North"]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_manifest(sample_store: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    local = run_batch(
        W47,
        store=sample_store,
        out_dir=tmp_path / "local",
        notebook=TINY,
        teams=["North", "West"],
        workers=2,
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            W47,
            store=sample_store,
            out_dir=tmp_path / "dask",
            notebook=TINY,
            teams=["North", "West"],
            scheduler=cluster.scheduler_address,
        )

    def comparable(result: batch.BatchResult) -> list[dict[str, object]]:
        manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
        return [{k: v for k, v in t.items() if k != "duration_s"} for t in manifest["teams"]]

    assert remote.ok and comparable(remote) == comparable(local)


def test_the_configuration_and_templates_reach_every_team(
    sample_store: Path, tmp_path: Path
) -> None:
    import nbformat

    from pipereview.delivery._notebooks import new_team_notebook

    notebook = new_team_notebook("config_probe", tmp_path)
    probe = nbformat.read(notebook, as_version=4)
    probe.cells = [
        probe.cells[1],
        nbformat.v4.new_code_cell(
            "import json\nfrom pathlib import Path\n"
            "from pipereview.config import load_config\n"
            "from pipereview.core._stages import stage_model_names\n"
            "settings = load_config(config)\nsettings.use_templates()\n"
            "Path(out_dir, 'headline.json').write_text(json.dumps({'lang': lang, "
            "'stalled_days': settings.risk.stalled_days, 'models': stage_model_names()}))"
        ),
    ]
    nbformat.write(probe, notebook)
    folder = tmp_path / "ours" / "stage_models"
    folder.mkdir(parents=True)
    model = Path(__file__).resolve().parents[1] / "src/pipereview/templates/stage_models"
    (folder / "mine.yaml").write_text(
        (model / "generic_4.yaml")
        .read_text(encoding="utf-8")
        .replace("name: generic_4", "name: mine"),
        "utf-8",
    )
    config = tmp_path / "team.yaml"
    config.write_text("lang: zh\ntemplates: [ours]\nrisk: {stalled_days: 12}\n", "utf-8")
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config),
            "run",
            "--week",
            W47,
            "--store",
            str(sample_store),
            "--out",
            str(tmp_path / "r"),
            "--teams",
            "North",
            "--notebook",
            str(notebook),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "r" / W47 / "manifest.json").read_text("utf-8"))
    headline = manifest["teams"][0]["headline"]
    assert headline["lang"] == "zh" and headline["stalled_days"] == 12
    assert "mine" in headline["models"]
    assert manifest["config"]["templates"] == [str((tmp_path / "ours").resolve())]
    first = manifest["teams"][0]["fingerprint"]
    # a changed threshold is a new input: a resumed run does that team again
    config.write_text("lang: zh\ntemplates: [ours]\nrisk: {stalled_days: 13}\n", "utf-8")
    again = run_batch(
        W47,
        store=sample_store,
        out_dir=tmp_path / "r",
        notebook=notebook,
        teams=["North"],
        lang="zh",
        config=config,
        resume=True,
    )
    assert not again.teams[0].resumed and again.teams[0].fingerprint != first
    assert again.teams[0].headline["stalled_days"] == 13


def test_a_wrong_configuration_is_refused_before_any_work(
    sample_store: Path, tmp_path: Path
) -> None:
    config = tmp_path / "team.yaml"
    config.write_text("risk: {stalled: 12}\n", "utf-8")
    with pytest.raises(InputError, match="risk has no setting 'stalled'"):
        run_batch(W47, store=sample_store, out_dir=tmp_path / "r", notebook=TINY, config=config)
    assert not (tmp_path / "r").exists()

"""What the wheel ships: the notebooks the package runs are package data (one file each,
the repository's ``notebooks/`` links to it), found with importlib.resources wherever
pipereview is installed, and ``pipereview demo`` needs no checkout (it writes its own
sample set). ``.ci/wheel-check`` installs the built wheel in a fresh environment and runs
the demo and a batch there."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipereview.sample
from pipereview.cli import app
from pipereview.core._errors import InputError
from pipereview.dashboard.config import dashboard_notebook
from pipereview.delivery._batch import default_notebook
from pipereview.delivery._notebooks import SHIPPED_NOTEBOOKS, shipped_notebook
from pipereview.history._store import SnapshotStore

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pipereview"


@pytest.mark.parametrize("name", SHIPPED_NOTEBOOKS)
def test_the_visible_notebook_is_a_link_to_the_shipped_one(name: str) -> None:
    visible = ROOT / "notebooks" / name
    packaged = PACKAGE / "notebooks" / name
    assert packaged.is_file() and not packaged.is_symlink(), "the package holds the file"
    assert visible.is_symlink(), f"notebooks/{name} must link to src/pipereview/notebooks/{name}"
    assert visible.resolve() == packaged.resolve()
    assert visible.read_bytes() == packaged.read_bytes()
    # what the package finds with importlib.resources is that same file
    shipped = shipped_notebook(name)
    assert shipped.read_bytes() == visible.read_bytes()
    assert shipped.parent == Path(str(resources.files("pipereview"))) / "notebooks"


def test_every_packaged_notebook_is_shipped_and_visible() -> None:
    packaged = sorted(p.name for p in (PACKAGE / "notebooks").iterdir())
    assert packaged == sorted(SHIPPED_NOTEBOOKS)
    # the notebooks the package does not run stay in notebooks/ only, as files
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        assert path.is_symlink() == (path.name in SHIPPED_NOTEBOOKS), path.name


def test_the_batch_and_the_dashboard_run_the_shipped_notebooks() -> None:
    assert default_notebook() == shipped_notebook("weekly_review.ipynb")
    assert default_notebook().name == "weekly_review.ipynb"
    stored = json.loads((ROOT / "notebooks" / "dashboard.ipynb").read_text(encoding="utf-8"))
    assert dashboard_notebook() == stored
    assert "Dashboard.from_environment(" in dashboard_notebook()["cells"][0]["source"]


def test_an_unknown_notebook_is_refused() -> None:
    with pytest.raises(InputError, match=r"no shipped notebook 'analyst_playground.ipynb'"):
        shipped_notebook("analyst_playground.ipynb")


@pytest.mark.slow
def test_the_built_wheel_ships_the_visible_notebooks_and_templates(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = tmp_path.glob("pipereview-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in SHIPPED_NOTEBOOKS:
            member = f"pipereview/notebooks/{name}"
            assert member in names, f"the wheel has no {member}"
            assert archive.read(member) == (ROOT / "notebooks" / name).read_bytes(), member
        templates = {
            p.relative_to(ROOT / "src").as_posix()
            for p in (PACKAGE / "templates").rglob("*")
            if p.is_file()
        }
        assert templates and templates <= names, sorted(templates - names)
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "pipereview = pipereview.cli:main" in archive.read(entry_points).decode()
    # the notebooks the package does not run are not in it
    assert not any("analyst_playground" in n or "sanitize.cfg" in n for n in names)


def test_demo_refuses_a_samples_folder_without_exports(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(
        app, ["demo", "--samples", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    output = result.output.replace("\n", "")
    assert "holds no sample set (no exports/ folder)" in output
    assert "leave out --samples to write one" in output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_demo_without_samples_writes_its_own(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a smaller sample set than the default (the demo's output is the same shape)
    small = functools.partial(pipereview.sample.generate_samples, n_weeks=3, scale=0.2)
    monkeypatch.setattr(pipereview.sample, "generate_samples", small)
    monkeypatch.chdir(tmp_path)  # no data/samples here
    result = runner.invoke(app, ["demo", "--out", "demo"])
    assert result.exit_code == 0, result.output
    samples = (tmp_path / "demo" / "samples").resolve()
    written = sorted(p for p in samples.rglob("*") if p.is_file())
    output = result.output.replace("\n", "")
    assert f"Wrote the sample set ({len(written)} files) to {samples}" in output
    assert (samples / "targets.csv").is_file()
    assert sorted(p.name for p in (samples / "exports").iterdir()) == [
        "2026-W45",
        "2026-W46",
        "2026-W47",
    ]
    assert "Ingested 3 weeks from demo/samples" in output
    assert SnapshotStore(tmp_path / "demo" / "store").weeks() == [
        "2026-W45",
        "2026-W46",
        "2026-W47",
    ]
    assert "Review pack for 2026-W47: 4 of 4 teams ok" in output
    assert (tmp_path / "demo" / "reports" / "2026-W47" / "index.html").is_file()

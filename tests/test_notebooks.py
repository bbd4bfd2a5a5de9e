"""The review notebook: it runs on the sample data with its default parameters, papermill
can change every parameter, and nbval's regression test bites when a sample number moves;
charts are compared by their data: a change of chart style leaves nbval green, a change of
the data a chart draws fails it."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from pipereview.delivery import BATCH_PARAMETERS, check_team_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "weekly_review.ipynb"
PLAYGROUND = ROOT / "notebooks" / "analyst_playground.ipynb"


def test_notebook_has_one_parameters_cell_and_stored_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[0] is tagged[0]
    for name in BATCH_PARAMETERS:
        assert f"\n{name} = " in "\n" + tagged[0].source, name
    assert check_team_notebook(NOTEBOOK) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code[1:-1]), "commit the notebook with its outputs (nbval)"
    for cell in code:  # a notebook orchestrates: no functions or classes of its own
        assert "def " not in cell.source and "class " not in cell.source


@pytest.mark.slow
def test_nbval_fails_when_a_sample_number_changes(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "data" / "samples")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "notebooks" / NOTEBOOK.name)
    shutil.copy(ROOT / "notebooks" / "sanitize.cfg", tmp_path / "notebooks" / "sanitize.cfg")
    export = tmp_path / "data" / "samples" / "exports" / "2026-W47" / "north.csv"
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    amount = rows[0].index("Amount")
    value = float(rows[1][amount].replace(",", ""))
    rows[1][amount] = f"{value + 1000:,.2f}"  # one open deal grows by 1,000
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--nbval",
            "--nbval-sanitize-with",
            "sanitize.cfg",
            "-o",
            "addopts=",
            "-W",
            "ignore",
            NOTEBOOK.name,
        ],
        cwd=tmp_path / "notebooks",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode != 0, run.stdout[-3000:]
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert any("::Cell 2 " in line for line in failed), run.stdout[-3000:]  # headline figures
    assert "Cell outputs differ" in run.stdout  # the numbers moved, nothing broke
    assert "Cell execution caused an exception" not in run.stdout, run.stdout[-3000:]


def _copy_notebooks(tmp_path: Path, *notebooks: Path) -> Path:
    """The notebooks, sanitize.cfg and the sample data copied under ``tmp_path``; the copy's
    notebooks folder."""
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "data" / "samples")
    (tmp_path / "notebooks").mkdir()
    for notebook in (*notebooks, ROOT / "notebooks" / "sanitize.cfg"):
        shutil.copy(notebook, tmp_path / "notebooks" / notebook.name)
    return tmp_path / "notebooks"


def _nbval(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            "sanitize.cfg",
            "-o",
            "addopts=",
            "-W",
            "ignore",
            *names,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _edit(path: Path, first: str, edit: Callable[[str], str]) -> int:
    """Apply ``edit`` to the source of the first code cell of the notebook at ``path``
    whose source starts with ``first``; that cell's number as nbval counts it."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    number = next(i for i, c in enumerate(code) if c.source.startswith(first))
    code[number].source = edit(code[number].source)
    nbformat.write(nb, path)
    return number


@pytest.mark.slow
def test_nbval_passes_when_only_the_chart_style_changes(tmp_path: Path) -> None:
    folder = _copy_notebooks(tmp_path, NOTEBOOK, PLAYGROUND)
    theme = 'import altair as alt\nalt.theme.enable("dark")  # a change of style only\n'
    _edit(folder / NOTEBOOK.name, "from pipereview import", lambda s: theme + s)
    _edit(folder / PLAYGROUND.name, "enable_offline()", lambda s: theme + s)
    run = _nbval(folder, NOTEBOOK.name, PLAYGROUND.name)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
    # the theme does reach the drawings (tests/test_notebook_api.py checks the SVG changes)


@pytest.mark.slow
def test_nbval_fails_when_the_data_a_chart_draws_changes(tmp_path: Path) -> None:
    folder = _copy_notebooks(tmp_path, PLAYGROUND)
    _edit(
        folder / PLAYGROUND.name,
        "import altair as alt",  # the chart draws 9 deals, not 10
        lambda s: s.replace(".head(10)", ".head(9)"),
    )
    number = _edit(folder / PLAYGROUND.name, "chart.data", lambda s: s)
    run = _nbval(folder, PLAYGROUND.name)
    assert run.returncode != 0, run.stdout[-3000:]
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and f"::Cell {number} " in failed[0], run.stdout[-3000:]
    assert "Cell outputs differ" in run.stdout  # the chart's data, not its drawing
    assert "Cell execution caused an exception" not in run.stdout, run.stdout[-3000:]


def test_period_notebook_has_the_batch_parameters_and_stored_outputs() -> None:
    from pipereview.delivery import PERIOD_PARAMETERS

    path = ROOT / "notebooks" / "period_review.ipynb"
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[0] is tagged[0]
    for name in (*BATCH_PARAMETERS, *PERIOD_PARAMETERS):
        assert f"\n{name} = " in "\n" + tagged[0].source, name
    assert check_team_notebook(path) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code[1:-1]), "commit the notebook with its outputs (nbval)"
    for cell in code[1:]:  # thin: one call per section, nothing of its own
        assert "def " not in cell.source and "class " not in cell.source
    assert [c.source for c in code[2:-1]] == [
        "review.verdict_section()",
        "review.results_section()",
        "review.deviation_section()",
        "review.plan_section()",
    ]

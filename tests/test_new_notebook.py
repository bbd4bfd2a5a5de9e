"""``pipereview new-notebook``: a team notebook from the template that the batch runs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core._errors import InputError
from pipereview.delivery._batch import run_batch
from pipereview.delivery._notebooks import BATCH_PARAMETERS, check_team_notebook, new_team_notebook

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_the_cli_writes_a_notebook_with_every_batch_parameter(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new-notebook", "team_deep_dive", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "team_deep_dive.ipynb"
    assert f"pipereview run --notebook {path}" in result.output.replace("\n", "")
    assert check_team_notebook(path) == []
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert [
        line.split(" = ")[0]
        for line in tagged[0].source.splitlines()
        if " = " in line and not line.startswith("#")
    ] == list(BATCH_PARAMETERS)
    again = CliRunner().invoke(app, ["new-notebook", "team_deep_dive", "--out", str(tmp_path)])
    assert again.exit_code == 1 and "exists already" in again.output
    assert "--force" in again.output


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "with space", ".hidden", "x" * 65])
def test_a_name_that_is_not_a_plain_file_name_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="use letters, digits"):
        new_team_notebook(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_notebook_without_parameters_cell_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), plain)
    with pytest.raises(InputError, match="has no cell tagged 'parameters'"):
        check_team_notebook(plain)
    (tmp_path / "text.ipynb").write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not a Jupyter notebook"):
        check_team_notebook(tmp_path / "text.ipynb")
    with pytest.raises(InputError, match="start one with: pipereview new-notebook"):
        check_team_notebook(tmp_path / "missing.ipynb")


def test_the_new_notebook_runs_in_the_batch(sample_store: Path, tmp_path: Path) -> None:
    path = new_team_notebook("deep_dive", tmp_path / "nb")
    result = run_batch(
        "2026-W47",
        store=sample_store,
        out_dir=tmp_path / "reports",
        notebook=path,
        teams=["North"],
        workers=1,
    )
    assert result.ok, [t.error for t in result.teams]
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    north = manifest["teams"][0]
    assert north["status"] == "ok" and north["headline"]["open_deals"] > 0
    page = (result.folder / "North" / "review.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Headline figures" in page and "Sales funnel" in page

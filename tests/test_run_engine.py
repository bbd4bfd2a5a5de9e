"""The batch's papermill engine writes a team's executed notebook when the run starts,
during a long cell and when it ends, not around every cell; what it writes is what
papermill's own engine writes, for a run that ends well and for one a cell stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pipereview.delivery._runengine import engine_name

pytestmark = pytest.mark.slow

_CELLS = [
    "team = 'North'",
    "print('hello', team)",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>figures</b>'))",
    "6 * 7",
]


def _notebook(path: Path, cells: list[str]) -> Path:
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.write(notebook, path)
    return path


def _written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths papermill's execution record writes the notebook to, in order."""
    import papermill.engines

    writes: list[str] = []
    real = papermill.engines.write_ipynb

    def spy(nb: Any, path: str) -> None:
        writes.append(path)
        real(nb, path)

    monkeypatch.setattr(papermill.engines, "write_ipynb", spy)
    return writes


def _content(path: Path) -> list[tuple[Any, ...]]:
    """What a reader of the executed notebook sees, without the run's clock."""
    notebook = nbformat.read(path, as_version=4)
    return [
        (
            cell.source,
            cell.get("execution_count"),
            [
                {k: v for k, v in output.items() if k != "execution_count"}
                for output in cell.get("outputs", [])
            ],
            cell.metadata.get("papermill", {}).get("status"),
            cell.metadata.get("papermill", {}).get("exception"),
            cell.metadata.get("tags", []),
        )
        for cell in notebook.cells
    ]


def _run(source: Path, target: Path, engine: str | None, **kwargs: Any) -> Exception | None:
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters={"team": "West"},
            kernel_name="python3",
            progress_bar=False,
            engine_name=engine,
            **kwargs,
        )
    except Exception as exc:  # compared below
        return exc
    return None


@pytest.mark.parametrize("fails", [False, True], ids=["runs-through", "a-cell-raises"])
def test_the_notebook_is_written_at_the_ends_only_and_reads_as_papermills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    cells = [*_CELLS[:3], "raise ValueError('no such stage')", _CELLS[3]] if fails else _CELLS
    source = _notebook(tmp_path / "review.ipynb", cells)
    writes = _written(monkeypatch)
    theirs = _run(source, tmp_path / "papermill.ipynb", None)
    ours = _run(source, tmp_path / "batch.ipynb", engine_name())
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs).replace("papermill.ipynb", "batch.ipynb")
    assert _content(tmp_path / "batch.ipynb") == _content(tmp_path / "papermill.ipynb")
    cells_run = len(cells) + 1 - (1 if fails else 0)  # papermill's parameter cell added
    assert writes.count(str(tmp_path / "papermill.ipynb")) == 2 + 2 * cells_run
    assert writes.count(str(tmp_path / "batch.ipynb")) == 2  # when it starts and ends


def test_a_long_cell_is_still_written_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_cell = "import time\nfor i in range(4):\n    print(i, flush=True)\n    time.sleep(0.5)"
    source = _notebook(tmp_path / "review.ipynb", [_CELLS[0], long_cell])
    writes = _written(monkeypatch)
    assert _run(source, tmp_path / "batch.ipynb", engine_name(), autosave_cell_every=0.4) is None
    assert writes.count(str(tmp_path / "batch.ipynb")) > 2  # papermill's autosave kept

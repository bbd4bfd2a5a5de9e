"""The stored outputs of the notebooks under ``notebooks/``: nbval's goldens.

Run it to refresh them after a change that moves a figure (look at the diff first)::

    PYTHONPATH=src python tests/_notebook_goldens.py

Each notebook is executed in its own folder on the sample data (fixed sample, explicit
as-of week in its parameters cell), then every pattern of ``notebooks/sanitize.cfg`` is
applied to its stored outputs, as nbval applies them before comparing: chart drawings are
stored as a small placeholder (charts are compared by the data beside them), temporary
paths and object addresses as their masks. Stored outputs stay small and a change of chart
style leaves them unchanged.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SANITIZE = NOTEBOOKS / "sanitize.cfg"


def sanitize_patterns(path: Path = SANITIZE) -> list[tuple[str, str]]:
    """``(regex, replacement)`` pairs of a sanitize file, read the way nbval reads them."""
    text = path.read_text(encoding="utf-8")
    return re.findall("^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)


def sanitized(value: Any, patterns: Iterable[tuple[str, str]]) -> Any:
    """``value`` with every pattern applied when it is text (what nbval compares)."""
    if not isinstance(value, str):
        return value
    for regex, replacement in patterns:
        value = re.sub(regex, replacement, value)
    return value


def stored_texts(nb: Any) -> list[str]:
    """Every text of every stored output of ``nb``: streams, results, displays, errors."""
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append(output["text"])
            texts += [v for v in output.get("data", {}).values() if isinstance(v, str)]
            texts += output.get("traceback", [])
    return texts


def sanitize_outputs(nb: Any, patterns: list[tuple[str, str]]) -> None:
    """Apply ``patterns`` to the stored outputs of ``nb`` in place."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = sanitized(output["text"], patterns)
            for key, value in output.get("data", {}).items():
                output["data"][key] = sanitized(value, patterns)


def refresh(path: Path, patterns: list[tuple[str, str]]) -> None:
    """Execute the notebook at ``path`` in its folder and store its sanitized outputs."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    sanitize_outputs(nb, patterns)
    nbformat.write(nb, path)


def notebooks() -> list[Path]:
    """The notebooks nbval runs (``notebooks/*.ipynb``; links to the shipped ones)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def main(argv: list[str]) -> None:
    # the kernels run in the notebooks' folder: a relative PYTHONPATH (src) must still hold
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths if p)
    patterns = sanitize_patterns()
    for path in [Path(a) for a in argv] or notebooks():
        refresh(path, patterns)
        print(f"refreshed {path}")


if __name__ == "__main__":
    main(sys.argv[1:])

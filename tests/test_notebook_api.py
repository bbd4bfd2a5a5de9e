"""The notebooks under ``notebooks/`` stay thin and their goldens small: they import only
what ``pipereview`` and its stage packages export, and their stored outputs (what nbval
compares) hold no error, no machine path and no chart drawing, only the data charts draw.
nbval itself runs in ``tests/test_notebooks.py`` and on ``notebooks/``."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest

from _notebook_goldens import notebooks, sanitize_patterns, sanitized, stored_texts
from pipereview.charts import funnel_chart, svg_html

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = frozenset(
    p.name
    for p in (ROOT / "src" / "pipereview").iterdir()
    if (p / "__init__.py").exists() and not p.name.startswith("_")
)
MACHINE_PATH = re.compile(r"(/tmp/|/home/|/root/|/work/|/Users/|/private/var/|[A-Za-z]:\\\\)")


def api_problems(source: str) -> list[str]:
    """What a code cell imports from pipereview beyond its public API: a module other
    than ``pipereview`` or one of its stage packages, a name they do not export, or a
    name taken from a stage package that ``pipereview`` itself exports."""
    top = importlib.import_module("pipereview").__all__
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )  # IPython magics
    problems = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            wanted = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            wanted = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in wanted:
            parts = module.split(".")
            if parts[0] != "pipereview":
                continue
            if len(parts) > 2 or (len(parts) == 2 and parts[1] not in PACKAGES):
                problems.append(
                    f"{module}: import from pipereview or a stage package "
                    f"({', '.join(sorted(PACKAGES))})"
                )
            elif name is not None and name not in importlib.import_module(module).__all__:
                problems.append(f"{module}.{name}: not in {module}.__all__")
            elif name is not None and module != "pipereview" and name in top:
                problems.append(f"{module}.{name}: import it from pipereview")
    return problems


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebooks_import_only_the_public_api(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    problems = [
        f"cell {i}: {problem}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for problem in api_problems(cell.source)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "from pipereview.delivery._review import WeeklyReview",
            "pipereview.delivery._review: import from pipereview or a stage package",
        ),
        ("import pipereview.coaching.context", "pipereview.coaching.context: import from"),
        ("from pipereview.core import _weeks", "pipereview.core._weeks: not in"),
        ("from pipereview import deal_risks, _startup", "pipereview._startup: not in"),
        ("from pipereview import serve", "pipereview.serve: not in"),
        (
            "from pipereview.delivery import WeeklyReview",
            "pipereview.delivery.WeeklyReview: import it from pipereview",
        ),
    ],
)
def test_a_private_import_in_a_notebook_is_named(source: str, problem: str) -> None:
    [found] = api_problems(source)
    assert found.startswith(problem)


def test_the_public_api_of_a_notebook_passes() -> None:
    assert (
        api_problems(
            "%matplotlib inline\nimport pipereview as pr\n"
            "from pipereview import WeeklyReview, load_config\n"
            "from pipereview.charts import enable_offline\nimport pandas\n"
        )
        == []
    )


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_stored_outputs_hold_no_error_no_machine_path_and_no_chart_drawing(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    texts = stored_texts(nb)
    assert [MACHINE_PATH.search(t)[0] for t in texts if MACHINE_PATH.search(t)] == []
    patterns = sanitize_patterns()
    # stored as nbval compares them (tests/_notebook_goldens.py): a drawing is a placeholder
    assert [t[:200] for t in texts if sanitized(t, patterns) != t] == []


def test_a_change_of_chart_style_leaves_the_compared_output_unchanged() -> None:
    stages = pd.DataFrame({"stage": ["a", "b"], "deals": [3, 1], "amount": [300.0, 50.0]})
    patterns = sanitize_patterns()
    plain = svg_html(funnel_chart(stages, lang="en"))
    with alt.theme.enable("dark"):
        dark = svg_html(funnel_chart(stages, lang="en"))
    fewer = svg_html(funnel_chart(stages.iloc[:1], lang="en"))
    assert plain != dark  # the style reaches the drawing ...
    assert sanitized(plain, patterns) == sanitized(dark, patterns)  # ... nbval never sees it
    # the data too: a chart's numbers are compared in a table beside it
    assert sanitized(plain, patterns) == sanitized(fewer, patterns)
    assert "<svg" in sanitized(plain, patterns) and len(sanitized(plain, patterns)) < 400

"""Team notebooks: the notebooks that ship inside the package, the parameters the weekly
batch gives every team's notebook, a new notebook started from a template
(``pipereview new-notebook``), and the check that a notebook can run in the batch
(``pipereview run --notebook``).

>>> sorted(BATCH_PARAMETERS)[:4]
['config', 'exports', 'history_path', 'lang']
"""

from __future__ import annotations

import atexit
import re
from contextlib import ExitStack
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipereview.core._errors import InputError

__all__ = [
    "BATCH_PARAMETERS",
    "PERIOD_PARAMETERS",
    "SHIPPED_NOTEBOOKS",
    "check_team_notebook",
    "new_team_notebook",
    "shipped_notebook",
]


def _nbformat() -> Any:
    """nbformat, imported when a notebook is written or checked (0.1 s and jsonschema with
    it, which no other command needs); it has no type hints."""
    import nbformat

    return nbformat


#: The notebooks the package runs, shipped as package data (``pipereview/notebooks/``; the
#: repository's ``notebooks/`` links to them): the weekly review the batch runs, the
#: monthly and quarterly pack it runs with ``--period``, and the dashboard ``pipereview
#: serve`` hands to Voilà.
SHIPPED_NOTEBOOKS = ("weekly_review.ipynb", "period_review.ipynb", "dashboard.ipynb")

_extracted = ExitStack()  # shipped notebooks copied out of a zipped install, removed at exit
atexit.register(_extracted.close)


@cache
def shipped_notebook(name: str) -> Path:
    """The file of a notebook that ships in the package (one of :data:`SHIPPED_NOTEBOOKS`),
    found with :mod:`importlib.resources`: in the installed package, or ``src/`` of a
    checkout (whose ``notebooks/<name>`` links to it).

    >>> shipped_notebook("weekly_review.ipynb").parts[-3:]
    ('pipereview', 'notebooks', 'weekly_review.ipynb')
    """
    if name not in SHIPPED_NOTEBOOKS:
        raise InputError(
            f"no shipped notebook {name!r}",
            expected=f"one of: {', '.join(SHIPPED_NOTEBOOKS)}",
            hint="name one of the notebooks that ship with pipereview",
        )
    entry = resources.files("pipereview").joinpath("notebooks", name)
    if isinstance(entry, Path):
        return entry
    # a package imported from a zip has no file to hand papermill: a copy for this process
    return _extracted.enter_context(resources.as_file(entry))


#: What the batch passes to each team's notebook, and what each means.
BATCH_PARAMETERS: dict[str, str] = {
    "team": "the team this run is for",
    "week": "the as-of ISO week: every figure is as of this week",
    "lang": '"en" or "zh"',
    "store": 'snapshot store folder, or "" when history_path is given',
    "exports": "a folder of weekly exports, used only when neither store nor history_path is set",
    "history_path": "the batch's shared, keyed history (Parquet)",
    "targets": 'targets file, or "" for no targets',
    "out_dir": "the batch's output folder for this team (write headline.json here)",
    "stage_model": "judge process evidence against this model (empty: the model of each deal)",
    "config": 'configuration file (see docs/start-analysts.md), or ""',
}

#: What the batch passes as well to a period notebook (``pipereview run --period``).
PERIOD_PARAMETERS: dict[str, str] = {
    "period": "the month (2026-11) or quarter (2026-Q4) of the pack",
    "kind": '"month" or "quarter": the kind of period',
}

_DEFAULTS = {
    "team": "North",
    "week": "2026-W47",
    "lang": "en",
    "store": "",
    "exports": "../data/samples/exports",
    "history_path": "",
    "targets": "../data/samples/targets.csv",
    "out_dir": "",
    "stage_model": "",
    "config": "",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _parameters_cell() -> str:
    width = max(len(f"{k} = {_DEFAULTS[k]!r}") for k in BATCH_PARAMETERS) + 2
    lines = [
        "# Parameters: the batch (pipereview run --notebook) overrides them; the",
        "# defaults run on the sample data from the notebooks/ folder.",
    ]
    for key, meaning in BATCH_PARAMETERS.items():
        value = f'{key} = "{_DEFAULTS[key]}"'
        lines.append(f"{value:<{width}}# {meaning}")
    return "\n".join(lines)


def new_team_notebook(name: str, folder: str | Path = "notebooks", *, force: bool = False) -> Path:
    """Write ``<folder>/<name>.ipynb``: a team notebook with the batch's parameters cell,
    the team's review loaded (with the configuration's thresholds and registered rules),
    its headline figures written for the batch index, and a first section to build on.

    ``name`` is letters, digits, ``-`` and ``_`` (it becomes a file name); an existing
    notebook is never overwritten unless ``force``.
    """
    if not _NAME.match(name):
        raise InputError(
            f"notebook name {name!r}: use letters, digits, '-' and '_' only "
            "(it becomes the file name), at most 64 characters",
            expected="a name such as team_deep_dive",
            hint="rename it, e.g. with _ in place of spaces",
        )
    target = Path(folder) / f"{name}.ipynb"
    if target.exists() and not force:
        raise InputError(
            f"{target} exists already",
            file=target,
            hint="choose another name, or pass --force to replace it",
        )
    title = name.replace("_", " ").replace("-", " ").strip().capitalize()
    nb = _nbformat()
    notebook = nb.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nb.v4.new_markdown_cell(
            f"# {title}\n\nA team notebook: `pipereview run --notebook {target.name}` runs "
            "it once per team of the week, with the parameters below, and publishes it as "
            "HTML beside the weekly review."
        ),
        nb.v4.new_code_cell(_parameters_cell(), metadata={"tags": ["parameters"]}),
        nb.v4.new_code_cell(
            "from pipereview.charts import draw_charts, enable_offline, svg_html\n"
            "from pipereview.delivery._review import WeeklyReview\n\n"
            "enable_offline()  # charts as inline SVG: no network needed to view them\n"
            "review = WeeklyReview.from_files(team=team, week=week, lang=lang or None,\n"
            "                                 history_path=history_path, store=store,\n"
            "                                 exports=exports, targets=targets,\n"
            "                                 stage_model=stage_model, config=config or None)\n"
            "review.headline_section()"
        ),
        nb.v4.new_markdown_cell(
            "## Open deals by stage\n\n`review.context` holds every diagnostic of the team "
            "as of the week (stage table, risks, conversion, forecast), each computed once."
        ),
        nb.v4.new_code_cell(
            "stages = review.context.stage_table_rep\n"
            'stages[stages["team"] == team].groupby("stage", observed=True)'
            '[["count", "amount"]].sum()'
        ),
        nb.v4.new_code_cell(
            "from IPython.display import HTML\n\n"
            'HTML("".join(svg for _, svg in draw_charts(review.context, team, None,\n'
            '                                            ["funnel"], lang=review.lang)))'
        ),
        nb.v4.new_code_cell(
            "# the batch index shows these figures; keep this cell last\n"
            "if out_dir:\n"
            '    review.write_headline(f"{out_dir}/headline.json")'
        ),
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    nb.write(notebook, tmp)
    tmp.replace(target)
    return target


def check_team_notebook(path: str | Path) -> list[str]:
    """The batch parameters ``path``'s parameters cell does not declare (the batch passes
    them anyway; a notebook that ignores one may not do what the run asks). Raises
    :class:`InputError` when the file is not a notebook or has no cell tagged
    ``parameters``."""
    file, nb = Path(path), _nbformat()
    try:
        notebook = nb.read(file, as_version=4)
    except FileNotFoundError:
        raise InputError(
            f"no notebook {file}", file=file, hint="start one with: pipereview new-notebook NAME"
        ) from None
    except Exception as error:
        raise InputError(
            f"{file} is not a Jupyter notebook: {error}",
            file=file,
            expected="an .ipynb file",
            hint="check the path, or open and save the file in Jupyter to repair it",
        ) from None
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise InputError(
            f"{file} has no cell tagged 'parameters', so the batch cannot give "
            "it the team and week",
            file=file,
            hint="tag the cell that sets team, week, ... with 'parameters', or "
            "start from pipereview new-notebook NAME",
        )
    declared = set(re.findall(r"^([A-Za-z_]\w*)\s*=", cells[0].source, re.M))
    return [key for key in BATCH_PARAMETERS if key not in declared]

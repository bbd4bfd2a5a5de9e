"""Every example in the package's docstrings runs (so the docs cannot drift)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import pipereview

MODULES = sorted(
    m.name.removeprefix("pipereview.")
    for m in pkgutil.walk_packages(pipereview.__path__, "pipereview.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", ["__init__", *MODULES])
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    module = pipereview if name == "__init__" else importlib.import_module(f"pipereview.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"


#: Modules whose docstrings show no example yet (each needs files, kernels or widgets to
#: show one); a new module is not added here: give it an example.
WITHOUT_EXAMPLES = frozenset(
    {
        "core._resources",
        "dashboard",
        "dashboard._text",
        "dashboard.config",
        "dashboard.state",
        "delivery._teamrun",
        "ingest._accounting",
        "ingest._builder",
        "ingest._parquet",
        "ingest._peek",
        "ingest._readers",
        "ingest._results",
        "ingest._sheetxml",
        "ingest._xlsx",
        "sample._readme",
        "sample._summary",
    }
)


def test_every_module_shows_an_example_and_none_is_skipped() -> None:
    finder = doctest.DocTestFinder()
    without, skipped = set(), []
    for name in MODULES:
        if name.endswith(".server"):  # the dashboard's server entry point (python -m)
            continue
        tests = [
            t for t in finder.find(importlib.import_module(f"pipereview.{name}")) if t.examples
        ]
        if not tests:
            without.add(name)
        skipped += [t.name for t in tests for e in t.examples if e.options.get(doctest.SKIP)]
    assert skipped == []
    assert without == WITHOUT_EXAMPLES

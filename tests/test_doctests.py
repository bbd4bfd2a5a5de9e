"""Every example in the package's docstrings runs (so the docs cannot drift)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import pipereview

MODULES = sorted(m.name.removeprefix("pipereview.") for m in pkgutil.walk_packages(
    pipereview.__path__, "pipereview.") if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", ["__init__", *MODULES])
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    module = pipereview if name == "__init__" else importlib.import_module(f"pipereview.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"

"""Every threshold pipereview has is held to a boundary test (``tests/_boundaries.py``).

The thresholds are listed from the code, not by hand: the numeric settings of every
configuration section and of :class:`~pipereview.config.Config`, every shipped coaching
rule's numeric settings and severity bands, and every declared fixed heuristic. A new
threshold without a test marked ``@boundary("<its name>")`` fails here, and so does a
marked name that no longer exists. A comparison with a bare number in the modules that
judge deals must be a declared threshold or one of the listed exceptions below.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import pkgutil
import re
import typing
from pathlib import Path

import pipereview
from pipereview.coaching._rulekit import BUILTIN_RULES, SEVERITY_BANDS
from pipereview.config import SECTIONS, Config
from pipereview.core._heuristics import HEURISTICS

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "pipereview"


def _numeric_fields(settings_class: type) -> list[str]:
    hints = typing.get_type_hints(settings_class)
    return [
        f.name
        for f in dataclasses.fields(settings_class)
        if hints[f.name] in (int, float) and not f.name.startswith("_")
    ]


@functools.cache
def thresholds() -> frozenset[str]:
    """The name of every threshold in the package (see ``tests/_boundaries.py``), listed
    once per run (it imports every module)."""
    for module in pkgutil.walk_packages(pipereview.__path__, "pipereview."):
        if module.name.split(".")[1] not in ("sample", "dashboard", "cli", "__main__", "_voila"):
            importlib.import_module(module.name)  # declares its heuristics and bands
    names = {f"{section}.{f}" for section, cls in SECTIONS.items() for f in _numeric_fields(cls)}
    names |= set(_numeric_fields(Config))
    for rule, _function, settings in BUILTIN_RULES:
        for key, value in settings.get("defaults", {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                names.add(f"rules.{rule}.{key}")
    names |= {f"severity.{rule}" for rule in SEVERITY_BANDS}
    names |= set(HEURISTICS)
    return frozenset(names)


def boundary_tests() -> dict[str, list[str]]:
    """Each name marked with ``@boundary(...)`` in the test files, and the tests marking it."""
    marked: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Name)
                    and decorator.func.id == "boundary"
                ):
                    for arg in decorator.args:
                        assert isinstance(arg, ast.Constant), (
                            f"{path.name}:{node.lineno}: name each threshold as a literal"
                        )
                        marked.setdefault(str(arg.value), []).append(f"{path.name}::{node.name}")
    return marked


def test_the_listing_finds_each_kind_of_threshold() -> None:
    names = thresholds()
    assert {
        "funnel_shape.min_open",
        "plan.alert_threshold",
        "limits.max_rows",
        "follow_up_days",
        "rules.stalled_deal.stalled_days",
        "severity.coverage_below_need",
        "ingest.footer_text_cells",
    } <= names
    assert "plan.week_rule" not in names  # a choice, not a number
    assert "lang" not in names


def test_every_threshold_has_a_boundary_test() -> None:
    missing = sorted(thresholds() - set(boundary_tests()))
    assert missing == [], (
        "these thresholds have no test marked @boundary(name) that checks them exactly at, "
        f"just below and just above their value: {missing}"
    )


def test_every_boundary_test_names_a_threshold_that_exists() -> None:
    stale = {name: tests for name, tests in boundary_tests().items() if name not in thresholds()}
    assert stale == {}


#: The modules that judge deals, where a bare number in a comparison is a threshold.
JUDGING = ("coaching/rules_", "diagnostics/", "history/_", "ingest/_rowkind", "ingest/_builder")

#: Comparisons with a bare number there that are not thresholds, and why.
NOT_THRESHOLDS = {
    ("diagnostics/_targets.py", "days.dt.day_of_week < 5"): "Monday to Friday",
    ("diagnostics/_targets.py", "len(parts) > 3"): "a year's months go through its quarters",
    ("diagnostics/_waterfall.py", "1 <= int(m.group(2)) <= 12"): "a month number",
    ("diagnostics/_seasons.py", "len(profile) != 12"): "a profile has one weight a month",
    ("diagnostics/_seasons.py", "len(pairs) > 3"): "a year's months, not a quarter's",
    ("diagnostics/_evidence.py", "len(fields) > 62"): "bitmask width of the evidence flags",
    ("history/_definitions.py", "len(weeks) > 3"): "how many weeks an error message lists",
    ("ingest/_builder.py", "mask.sum() > 5"): "how many row numbers a repair note lists",
}


def _bare_number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _bare_number(node.operand)
    if isinstance(node, ast.BinOp):
        return _bare_number(node.left) and _bare_number(node.right)
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and node.value not in (0, 1, -1)
    )


def test_judging_code_compares_with_declared_thresholds_only() -> None:
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if not relative.startswith(JUDGING):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                _bare_number(side) for side in (node.left, *node.comparators)
            ):
                found.add((relative, ast.unparse(node)))
    undeclared = sorted(found - set(NOT_THRESHOLDS))
    assert undeclared == [], (
        "a bare number in a comparison is a threshold: make it a setting, a rule's "
        "severity_bands or a core._heuristics.heuristic (or list it in NOT_THRESHOLDS "
        f"with the reason it is not one): {undeclared}"
    )
    assert sorted(set(NOT_THRESHOLDS) - found) == []  # no stale exception


def test_the_mutation_run_reads_tests_and_modules_that_exist() -> None:
    # make mutate (docs/testing.md): a renamed test file or module must not silently
    # shrink what mutation testing judges
    import tomllib

    settings = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    mutmut = settings["tool"]["mutmut"]
    for test_file in mutmut["pytest_add_cli_args_test_selection"]:
        assert (TESTS.parent / test_file).is_file(), test_file
    boundary_files = {f"tests/{p.name}" for p in TESTS.glob("test_boundaries_*.py")}
    assert boundary_files <= set(mutmut["pytest_add_cli_args_test_selection"])
    for pattern in mutmut["only_mutate"]:
        assert list(TESTS.parent.glob(pattern)), pattern
    for area in ("ingest", "history", "diagnostics", "coaching"):
        assert any(f"/pipereview/{area}/" in p for p in mutmut["only_mutate"]), area


def test_every_mutated_module_is_reached_by_a_test_of_the_mutation_run() -> None:
    # a module whose tests are not in the selection has every mutant counted as "no tests":
    # each mutated module is named by a selected test file (its module name or one of its
    # public names), or imported, directly or through other modules of its package, by one
    # that is
    import tomllib

    settings = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    mutmut = settings["tool"]["mutmut"]
    selected = "\n".join(
        (TESTS.parent / name).read_text(encoding="utf-8")
        for name in mutmut["pytest_add_cli_args_test_selection"]
    )
    trees = {
        ".".join(path.relative_to(SRC.parent).with_suffix("").parts): ast.parse(
            path.read_text(encoding="utf-8")
        )
        for path in SRC.rglob("_*.py")
        if path.name != "__init__.py"
    }
    named = {
        module
        for module, tree in trees.items()
        if module.rsplit(".", 1)[1] in selected
        or any(re.search(rf"\b{re.escape(n)}\b", selected) for n in _public_names(tree))
    }
    importers: dict[str, set[str]] = {module: set() for module in trees}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module in importers
                and node.module.rsplit(".", 1)[0] == module.rsplit(".", 1)[0]
            ):
                importers[node.module].add(module)
    unreached = []
    for pattern in mutmut["only_mutate"]:
        for path in sorted(TESTS.parent.glob(pattern)):
            module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
            if module in trees and not _reached(module, named, importers):
                unreached.append(path.relative_to(TESTS.parent).as_posix())
    assert unreached == [], (
        "add a test file that reaches these modules to [tool.mutmut] "
        f"pytest_add_cli_args_test_selection: {unreached}"
    )


def _reached(module: str, named: set[str], importers: dict[str, set[str]]) -> bool:
    """Whether ``module`` or a module importing it (at any remove) is in ``named``."""
    seen, todo = {module}, [module]
    while todo:
        current = todo.pop()
        if current in named:
            return True
        todo.extend(importers[current] - seen)
        seen |= importers[current]
    return False


def _public_names(tree: ast.Module) -> list[str]:
    """The names a module's ``__all__`` lists, else its public functions and classes."""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = node.value
                if isinstance(value, ast.List | ast.Tuple) and value.elts:
                    return [e.value for e in value.elts if isinstance(e, ast.Constant)]
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    ]


def test_the_mutation_report_reads_results_and_equivalents() -> None:
    import mutation_report

    text = (
        "    pipereview.ingest._rowkind.x_skipped_rows__mutmut_3: survived\n"
        "    pipereview.coaching.rules_rep.x_deal_concentration__mutmut_1: killed\n"
        "not a result line\n"
    )
    assert mutation_report.parse_results(text) == {
        "pipereview.ingest._rowkind.x_skipped_rows__mutmut_3": "survived",
        "pipereview.coaching.rules_rep.x_deal_concentration__mutmut_1": "killed",
    }
    listed = mutation_report.equivalent()
    assert all(reason for reason in listed.values()), "each equivalent mutant needs its reason"
    assert all(name.startswith("pipereview.") for name in listed)

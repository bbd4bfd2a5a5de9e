"""The package's shape holds: no import circles (function-local imports included), no
private name imported from another module, stages layered so that a package only imports
packages below it at import time, and a short top level (docs/architecture.md)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pipereview"

#: The stages of the flow, lowest first: a module imports (at import time) only modules of
#: its own package or of a lower one. The top-level modules (``cli``, ``serve``) stand
#: above all of them; the ``config`` package just above the diagnostics whose settings it holds.
LAYERS = {
    "core": 0,
    "ingest": 1,
    "history": 2,
    "pull": 3,
    "diagnostics": 4,
    "forecasting": 5,
    "config": 6,
    "week": 7,
    "_weekcalls": 7,
    "charts": 8,
    "coaching": 8,
    "sample": 8,
    "delivery": 9,
    "dashboard": 10,
}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")


MODULES = {_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _imports(tree: ast.AST, *, top_only: bool) -> Iterator[tuple[str, str]]:
    """(module, name) for every import of pipereview in ``tree`` outside ``if
    TYPE_CHECKING:`` blocks; with ``top_only`` only those run at import time."""

    def walk(nodes: list[ast.AST]) -> Iterator[tuple[str, str]]:
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipereview"):
                yield from ((node.module or "", alias.name) for alias in node.names)
            elif isinstance(node, ast.Import):
                yield from ((a.name, "") for a in node.names if a.name.startswith("pipereview"))
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(list(node.orelse))
            elif not top_only or isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    yield from walk(list(getattr(node, field, [])))

    return walk(list(ast.iter_child_nodes(tree)))


def _target(module: str, name: str) -> str:
    """The module an import reaches: ``from pipereview.x import y`` reaches ``pipereview.x.y``
    when that is a module, else ``pipereview.x``."""
    full = f"{module}.{name}"
    if full in MODULES:
        return full
    while module not in MODULES:
        module = module.rpartition(".")[0]
    return module


def _graph(*, top_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {_target(m, n) for m, n in _imports(tree, top_only=top_only)} - {module}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _layer(module: str) -> int | None:
    return LAYERS.get(module.split(".")[1]) if "." in module else None


def test_no_import_circles_even_through_function_local_imports() -> None:
    assert _circles(_graph(top_only=False)) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for source, name in _imports(tree, top_only=False):
            if name.startswith("_") and f"{source}.{name}" not in MODULES:
                private.append(f"{module} imports {name} from {source}")
    assert private == []


def test_each_package_imports_only_packages_below_it_at_import_time() -> None:
    upward = []
    for module, targets in _graph(top_only=True).items():
        mine = _layer(module)
        if mine is None:
            continue
        for target in sorted(targets):
            theirs = _layer(target)
            above_all = theirs is None and target not in ("pipereview", "pipereview._startup")
            if above_all or (theirs is not None and theirs > mine):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_top_level_is_short() -> None:
    top = sorted(
        p.name
        for p in SRC.iterdir()
        if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())
    )
    assert len(top) <= 15 + 10, top  # ≤ 15 modules, and the packages of the flow
    assert len([n for n in top if n.endswith(".py")]) <= 15


#: The size a reader can hold in mind: a module of at most this many lines ...
MAX_MODULE_LINES = 400
#: ... and a function (its docstring included) of at most this many.
MAX_FUNCTION_LINES = 80


def _sizes(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    """``(modules over MAX_MODULE_LINES, functions over MAX_FUNCTION_LINES)`` under
    ``root``, each with its number of lines."""
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    functions[f"{name}:{node.lineno} {node.name}"] = length
    return modules, functions


def test_modules_and_functions_stay_short() -> None:
    modules, functions = _sizes(SRC)
    assert modules == {}, f"split these modules by concept (at most {MAX_MODULE_LINES} lines)"
    assert functions == {}, f"split these functions (at most {MAX_FUNCTION_LINES} lines)"


def test_the_size_check_finds_a_long_module_and_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def f():\n{body}\n" + "\n" * MAX_MODULE_LINES)
    (tmp_path / "short.py").write_text("def g():\n" + "    pass\n" * (MAX_FUNCTION_LINES - 1))
    modules, functions = _sizes(tmp_path)
    assert modules == {"long.py": MAX_FUNCTION_LINES + 1 + MAX_MODULE_LINES}
    assert functions == {"long.py:1 f": MAX_FUNCTION_LINES + 1}

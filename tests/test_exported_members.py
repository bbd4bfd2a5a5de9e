"""The public API is exactly what ``__all__`` says (the httpx habit)."""

from __future__ import annotations

import importlib
import pkgutil

import pipereview


def _order(name: str) -> tuple[int, str]:
    """CONSTANTS first, then Classes, then functions, each alphabetical."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, name


MODULES = sorted(m.name for m in pkgutil.iter_modules(pipereview.__path__) if m.name != "__main__")
#: every module and package below the top level too (the stages' packages re-export their
#: private modules' ``__all__``)
ALL_MODULES = sorted(
    m.name.removeprefix("pipereview.")
    for m in pkgutil.walk_packages(pipereview.__path__, "pipereview.")
    if not m.name.endswith(("__main__", ".server"))
)


def test_package_all_is_sorted_and_importable() -> None:
    names = pipereview.__all__
    assert names == sorted(names, key=_order)
    for name in names:
        assert hasattr(pipereview, name), name


def test_everything_public_is_in_all() -> None:
    exported = set(pipereview.__all__) - {"__version__"}
    public = {n for n in vars(pipereview) if not n.startswith("_")} - {"annotations"}
    submodules = set(MODULES) - exported
    assert public - submodules == exported


def test_every_module_declares_a_sorted_all_that_exists() -> None:
    for name in ALL_MODULES:
        module = importlib.import_module(f"pipereview.{name}")
        assert module.__all__ == sorted(module.__all__, key=_order), name
        for member in module.__all__:
            assert hasattr(module, member), f"{name}.{member}"


def test_each_stage_package_exports_what_its_modules_export() -> None:
    for package in ("core", "ingest", "history", "diagnostics", "delivery"):
        module = importlib.import_module(f"pipereview.{package}")
        inner = {
            n
            for m in pkgutil.iter_modules(module.__path__)
            for n in importlib.import_module(f"pipereview.{package}.{m.name}").__all__
        }
        assert set(module.__all__) == inner, package

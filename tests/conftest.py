"""Shared fixtures: hermetic Jupyter/IPython folders, a temporary store, CLI runner; which
tests are slow (``make test-fast`` leaves them out)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
# fixture notebooks under tests/data are inputs of tests, not notebooks for nbval to run
collect_ignore_glob = ["data/*"]
DATA = Path(__file__).resolve().parent / "data"
#: Test modules each of whose tests starts Jupyter kernels, a weekly batch, a browser or the
#: docs' command runs: slow by nature, left out of ``make test-fast`` (``-m "not slow"``).
#: A single slow test elsewhere carries ``@pytest.mark.slow`` itself.
SLOW_MODULES = frozenset(
    {
        "test_batch",
        "test_batch_faults",
        "test_dashboard_browser",
        "test_docs",
        "test_new_notebook",
        "test_notebooks",
        "test_reports_browser",
    }
)


#: Test modules that time kernels, servers, a browser or cell limits: ``make test`` runs
#: them on their own after the rest (which runs on two workers), so that a neighbour's load
#: never decides a timeout.
SERIAL_MODULES = frozenset(
    {
        "test_batch",
        "test_batch_faults",
        "test_dashboard_browser",
        "test_dashboard_server",
        "test_notebooks",
        "test_reports_browser",
    }
)


#: Property tests are not timed: an example that takes long on a loaded machine is still
#: a pass (speed is measured in bench/, not in tests).
settings.register_profile("pipereview", deadline=None)
settings.load_profile("pipereview")

_commands: dict[int, Any] = {}
_build_command = typer.testing._get_command


def _built_once(app: Any) -> Any:
    """The command line as Click sees it, built once per app: Typer rebuilds it on every
    ``CliRunner.invoke`` (about 70 ms, a third of a typical CLI test), while the ``pipereview``
    program builds it once per run. The app's commands are all declared at import."""
    key = id(app)
    if key not in _commands:
        _commands[key] = (app, _build_command(app))  # holding the app keeps its id unique
    return _commands[key][1]


typer.testing._get_command = _built_once  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the notebooks nbval runs and the tests of :data:`SLOW_MODULES` as slow, the
    notebooks and the tests of :data:`SERIAL_MODULES` as serial, and the tests that read
    the generated sample data as sample_data (``make mutate`` judges the core by the
    tests that build their own inputs)."""
    for item in items:
        if {"sample_store", "small_sample"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.sample_data)
        if item.path.suffix == ".ipynb" or item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if item.path.suffix == ".ipynb" or item.path.stem in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)


@pytest.fixture(scope="session")
def _homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One numbered home folder per test under a folder made once (``mktemp`` per test
    lists every folder made before it, which grows with the suite)."""
    base = tmp_path_factory.mktemp("homes")
    return (base / str(number) for number in itertools.count())


@pytest.fixture(autouse=True)
def _hermetic_home(_homes: Iterator[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's own Jupyter and IPython folders (each made when first needed, in a home
    made here)."""
    home = next(_homes)
    home.mkdir()
    for var in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.delenv("PIPEREVIEW_STORE", raising=False)


@pytest.fixture(autouse=True)
def _registries_restored() -> Iterator[None]:
    """What a test registers (rules, charts, user folders, plug-ins) or binds (a store's own
    stage models) is gone after it."""
    from pipereview.charts import charts
    from pipereview.coaching import coaching_rules, template_folders
    from pipereview.core._stages import stage_models
    from pipereview.ingest._columnmaps import column_maps

    registries = (column_maps, stage_models, coaching_rules, charts, template_folders)
    for registry in registries:
        registry.names()  # built-in entries and installed plug-ins in place first
    saved = [(dict(r._entries), dict(r._sources), r._plugins_loaded) for r in registries]
    yield
    for registry, (entries, sources, loaded) in zip(registries, saved, strict=True):
        registry._entries.clear()
        registry._entries.update(entries)
        registry._sources.clear()
        registry._sources.update(sources)
        registry._plugins_loaded = loaded
    # the stage models a store's history bound (read in this test) are not the next test's
    from pipereview.core._stages import bind_stage_models
    from pipereview.history import _definitions as definitions

    bind_stage_models([])
    definitions._ADOPTED[0] = ""


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, str], Path]:
    """Make a plug-in as Python finds an installed one: ``make(module, source,
    entry_points)`` writes ``module.py`` holding ``source`` and its distribution's metadata
    declaring ``entry_points`` (entry_points.txt syntax) into a new folder, and returns the
    folder (put it on ``sys.path`` or ``PYTHONPATH``)."""

    def make(module: str, source: str, entry_points: str) -> Path:
        folder = tmp_path_factory.mktemp("plugin")
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
        info = folder / f"{module}-1.0.dist-info"
        info.mkdir()
        name = module.replace("_", "-")
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
        return folder

    return make


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write CSV text exactly (``\\n`` line ends) in the given encoding."""
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding every week of data/samples, ingested once per run: the workers of
    ``pytest -n`` share it (the first to ask builds it under a lock). Tests only read it."""
    from filelock import FileLock

    from pipereview.history._intake import ingest_folder

    # one folder per run: above the workers' under `pytest -n` (their common run folder),
    # the run's own without it (its parent holds every earlier run: a store built by an
    # older version of the package would be read as this run's)
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "sample-store" / "store"
    with FileLock(str(shared / "sample-store.lock")):
        if not (root.parent / "complete").exists():
            shutil.rmtree(root.parent, ignore_errors=True)
            ingest_folder(ROOT / "data" / "samples" / "exports", store=root)
            (root.parent / "complete").touch()
    return root


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample set (the four teams and their CRM formats, three weeks, a quarter of
    the deals): ``exports/<week>/<team>.<csv|xlsx>`` and ``targets.csv``, generated once
    per test session."""
    from pipereview.sample import generate_samples

    root = tmp_path_factory.mktemp("small-sample")
    generate_samples(root, n_weeks=3, scale=0.25)
    return root


#: How the browser tests start Debian's Chromium (headless, no background traffic).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: The CJK font ``make test`` unpacks for the browser tests (Makefile, ``CJK_FONTS``).
CJK_FONTS = Path(__file__).resolve().parents[1] / ".cache" / "cjk-fonts"


def _browser_env() -> dict[str, str]:
    """Chromium's environment: with the unpacked CJK font, a fontconfig file of its own
    that adds it to the machine's fonts (nothing else on the machine sees it)."""
    env = dict(os.environ)
    fonts = CJK_FONTS / "usr" / "share" / "fonts"
    if fonts.is_dir():
        conf = Path(tempfile.mkdtemp(prefix="pipereview-fonts-")) / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
            f"<dir>{fonts}</dir><cachedir>{conf.parent / 'cache'}</cachedir></fontconfig>",
            encoding="utf-8",
        )
        env["FONTCONFIG_FILE"] = str(conf)
    return env


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium (the ``chromium`` package), headless, driven by Playwright through
    its executable path; the test is skipped when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed "
            "(make test installs it: apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS, env=_browser_env()
        )
        yield chromium
        chromium.close()

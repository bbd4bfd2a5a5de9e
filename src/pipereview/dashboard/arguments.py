"""Where the dashboard's data comes from: the arguments of a dashboard that ``pipereview
serve`` configured (its history file or prepared state, targets, settings, store), or a
sample set's exports when none was, and the export files a page saves.

>>> environment_config() is None or isinstance(environment_config(), DashboardConfig)
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import InputError
from pipereview.dashboard.config import CONFIG_VARIABLE, DashboardConfig
from pipereview.dashboard.prepared import PreparedTeams

__all__ = ["config_arguments", "environment_config", "sample_arguments", "save_files"]


def save_files(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Write ``files`` (contents by name) into ``folder``, each atomically; return their
    paths."""
    from pipereview.history._store import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        with atomic_write(folder / name, "wb") as handle:
            handle.write(data)
    return [folder / name for name in files]


def config_arguments(config: DashboardConfig) -> dict[str, Any]:
    """The arguments of the dashboard a :class:`DashboardConfig` describes (a locked one
    reads only its team's rows from the Parquet file; from a prepared state, each team's
    rows and prepared views are read when the page first shows that team)."""
    from pipereview.config import load_config
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._loader import load_history

    settings = load_config(config.settings) if config.settings else None
    templates = [str(t) for t in settings.templates] if settings else []
    history: pd.DataFrame | PreparedTeams
    if config.prepared:  # each team's rows read when the page first shows the team
        history = PreparedTeams(config.prepared, only=config.team, templates=templates)
    else:
        history = load_history(file=config.history, team=config.team, templates=templates)
    targets = load_targets(config.targets) if config.targets else None
    return {
        "history": history,
        "targets": targets,
        "team": config.team,
        "locked": bool(config.team),
        "week": config.week,
        "lang": config.lang,
        "export_dir": config.exports,
        "config": settings,
        "coaching_log": config.coaching_log,  # the store: its log and its forecast calls
    }


def sample_arguments(samples: str | Path | None) -> dict[str, Any]:
    """The arguments of the dashboard over a sample set's ``exports`` folder and
    ``targets.csv`` (ingested into a temporary store, all teams), for where ``pipereview
    serve`` configured none (:data:`CONFIG_VARIABLE` unset)."""
    if samples is None:
        raise InputError(
            f"no data for the dashboard: {CONFIG_VARIABLE} is not set and no "
            "samples= folder was given",
            hint="start it with pipereview serve, or pass samples=FOLDER",
        )
    from pipereview.diagnostics._targets import load_targets
    from pipereview.history._loader import load_history

    root = Path(samples)
    history = load_history(exports=root / "exports")
    targets = load_targets(root / "targets.csv") if (root / "targets.csv").exists() else None
    return {"history": history, "targets": targets}


def environment_config() -> DashboardConfig | None:
    """The configuration ``pipereview serve`` wrote (:data:`CONFIG_VARIABLE`), if any."""
    path = os.environ.get(CONFIG_VARIABLE)
    return DashboardConfig.read(path) if path else None

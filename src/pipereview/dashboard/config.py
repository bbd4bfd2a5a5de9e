"""What ``pipereview serve`` hands the served dashboard: its configuration file and the
notebook Voilà runs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_VARIABLE", "DashboardConfig", "dashboard_notebook"]

#: The environment variable naming the JSON file ``pipereview serve`` writes
#: (:class:`DashboardConfig`); the dashboard notebook reads it.
CONFIG_VARIABLE = "PIPEREVIEW_DASHBOARD"


@dataclass(frozen=True)
class DashboardConfig:
    """What a served dashboard loads: a keyed ``history`` (Parquet, see
    :func:`~pipereview.history._trail.with_deal_keys`), optional ``targets`` (CSV/XLSX), the
    ``team`` it is locked to (None: any team), the first ``week`` and ``lang``, where
    exported action lists are kept (``exports``), whether to compute the likely first
    views ahead (``warm``, see :meth:`Dashboard.warm`) and the configuration file whose
    thresholds and templates folders the reviews use (``settings``, see
    :mod:`pipereview.config`), and the folder of the prepared per-team state (``prepared``,
    see :mod:`pipereview.dashboard.prepared`; None: the page loads ``history`` whole) and
    the store whose coaching log the page marks (``coaching_log``, see
    :mod:`pipereview.dashboard.marking`; None: the page marks nothing)."""

    history: str
    targets: str | None = None
    team: str | None = None
    week: str | None = None
    lang: str = "en"
    exports: str | None = None
    warm: bool = False
    settings: str | None = None
    prepared: str | None = None
    coaching_log: str | None = None

    def write(self, path: str | Path) -> Path:
        """Write the configuration as JSON (atomically); return the path."""
        from pipereview.history._store import atomic_write

        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)
        return target

    @classmethod
    def read(cls, path: str | Path) -> DashboardConfig:
        """The configuration written by :meth:`write`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def dashboard_notebook() -> dict[str, Any]:
    """The dashboard notebook (nbformat 4 JSON) that ``pipereview serve`` runs: one cell
    that builds the app from :data:`CONFIG_VARIABLE`. It ships in the package
    (``pipereview/notebooks/dashboard.ipynb``, read with :mod:`importlib.resources`); the
    repository's ``notebooks/dashboard.ipynb`` links to it."""
    entry = resources.files("pipereview").joinpath("notebooks", "dashboard.ipynb")
    notebook: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    return notebook

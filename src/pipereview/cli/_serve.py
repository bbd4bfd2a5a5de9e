"""The ``serve`` command: the managers' dashboard served with Voilà (loopback unless
``--allow-remote``), or only prepared for JupyterHub or a scheduler (``--prepare-only``).

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> CliRunner().invoke(app, ["serve", "--ip", "0.0.0.0"]).exit_code  # refused before any work
1
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipereview.cli._base import StoreOption, TargetsOption, friendly, run_config, state
from pipereview.core._errors import InputError

__all__: list[str] = []  # the command is reached through pipereview.cli.app

LockOption = Annotated[
    str | None,
    typer.Option(help="Lock the dashboard to this team: no selector, no other team's deals."),
]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]
IpOption = Annotated[
    str, typer.Option(help="Address to listen on (loopback only unless --allow-remote).")
]
AllowRemoteOption = Annotated[
    bool, typer.Option(help="Allow a non-loopback --ip (only behind an authenticating proxy).")
]
FirstWeekOption = Annotated[
    str | None, typer.Option(help="Week shown first [default: the latest stored].")
]
LangOption = Annotated[
    str | None,
    typer.Option(help="Language shown first: en or zh [default: the configuration's, else en]."),
]
HistoryOption = Annotated[
    Path | None,
    typer.Option(
        help="A keyed history (Parquet, e.g. the history.parquet that `serve --prepare-only` writes in its state folder) instead of keying the store here."
    ),
]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        help="Where the served data and exported action lists go [default: a temporary folder]."
    ),
]
PreheatOption = Annotated[
    bool, typer.Option(help="Keep a kernel ready with the dashboard computed (faster first page).")
]
BaseUrlOption = Annotated[
    str, typer.Option(help="URL prefix, e.g. /pipeline/north/ behind a reverse proxy.")
]
MaxKernelsOption = Annotated[
    int | None,
    typer.Option(
        help="Most pages open at once (each holds a kernel of ~150-250 MB); beyond it a page says the dashboard is at its limit [default: a quarter of the memory at 250 MB a page, 4 to 64]."
    ),
]
PoolSizeOption = Annotated[
    int | None,
    typer.Option(
        help="Preheated kernels waiting for the next pages (pages opened at once take one each; 0: none) [default: 2 per core, 2 to 8, within an eighth of the memory]."
    ),
]
IdleTimeoutOption = Annotated[
    int, typer.Option(help="Seconds without activity after which an open page's kernel is freed.")
]
ClosedTimeoutOption = Annotated[
    int,
    typer.Option(
        help="Seconds a closed page's kernel is kept (3x that for a page that never connected)."
    ),
]
PrepareOnlyOption = Annotated[
    bool,
    typer.Option(
        help="Write the dashboard's data, notebook and config into --state-dir and stop (for JupyterHub or a scheduler)."
    ),
]


@friendly
def serve(
    team: LockOption = None,
    port: PortOption = 8866,
    ip: IpOption = "127.0.0.1",
    allow_remote: AllowRemoteOption = False,
    targets: TargetsOption = None,
    week: FirstWeekOption = None,
    lang: LangOption = None,
    history: HistoryOption = None,
    state_dir: StateDirOption = None,
    preheat: PreheatOption = True,
    base_url: BaseUrlOption = "/",
    max_kernels: MaxKernelsOption = None,
    pool_size: PoolSizeOption = None,
    idle_timeout: IdleTimeoutOption = 1800,
    closed_timeout: ClosedTimeoutOption = 20,
    prepare_only: PrepareOnlyOption = False,
    store: StoreOption = None,
) -> None:
    """Serve the manager's dashboard with Voila on http://IP:PORT/ (loopback by default)."""
    import tempfile

    from pipereview.serve import check_address, check_limits, default_max_kernels, prepare_dashboard
    from pipereview.serve import serve as run_voila

    check_address(ip, allow_remote=allow_remote)  # refuse before any work
    kernels = default_max_kernels() if max_kernels is None else max_kernels
    check_limits(kernels, idle_timeout, closed_timeout, pool_size or 0)  # the default is valid
    if prepare_only and state_dir is None:
        raise InputError(
            "--prepare-only needs --state-dir (where the dashboard's files go)",
            hint="add --state-dir DIR, or leave out --prepare-only to serve at once",
        )
    with tempfile.TemporaryDirectory(prefix="pipereview-serve-") as tmp:
        root = state_dir or Path(tmp)
        with state.out.status("Preparing the dashboard's data..."):
            dashboard = prepare_dashboard(
                root,
                store=store,
                history=history,
                targets=targets,
                team=team,
                week=week,
                lang=lang or run_config().lang,
                warm=preheat,
                config=state.config_path,
                templates=state.templates,
            )
        scope = f"locked to {team}" if team else f"{len(dashboard.teams)} teams"
        if prepare_only:
            state.out.print(
                f"Dashboard ({scope}) prepared: notebook {dashboard.notebook}, "
                f"set PIPEREVIEW_DASHBOARD={dashboard.config}"
            )
            return
        state.out.print(
            f"Dashboard ({scope}) on http://{ip}:{port}{base_url} — Ctrl-C stops it. "
            f"Exported action lists: {root / 'exports'}"
        )
        status = run_voila(
            dashboard,
            port=port,
            ip=ip,
            allow_remote=allow_remote,
            preheat=preheat,
            base_url=base_url,
            max_kernels=max_kernels,
            pool_size=pool_size,
            idle_timeout=idle_timeout,
            closed_timeout=closed_timeout,
        )
    if status:
        raise typer.Exit(status)

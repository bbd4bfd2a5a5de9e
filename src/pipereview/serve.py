"""Serving the dashboard with Voilà: what ``pipereview serve`` prepares and starts.

:func:`prepare_dashboard` keys the store's history once and writes it, with the
dashboard notebook and its :class:`~pipereview.dashboard.DashboardConfig`, into a state
folder; a dashboard locked to a team gets a history of that team's deals only (with a moved
deal's handover rows in the other team), so its kernel never has a deal the team never held.
:func:`voila_command` is the Voilà command line (Voilà with the guards of :mod:`pipereview.dashboard.server`; it and the checks of
the address and the limits are :mod:`pipereview._voila`'s): loopback by default,
sources stripped, tracebacks hidden, a preheated kernel (the first page view then costs
no kernel start or data load), no file served beyond the page's own assets (Voilà itself
passes only widget messages from the browser to the kernel: code sent from a page is
dropped, which a browser test checks), at most ``max_kernels`` pages at once, a closed
page's kernel freed within ``closed_timeout`` seconds and an idle one after
``idle_timeout``, ``pool_size`` preheated kernels waiting for pages opened at once,
nothing fetched from outside the server. :func:`serve` runs it until a
signal (Ctrl-C, SIGTERM, SIGHUP) and then stops Voilà and every kernel it started.

>>> voila_command("dash/dashboard.ipynb", port=8866)[1:4]
['-m', 'pipereview.dashboard.server', 'dash/dashboard.ipynb']
>>> "--Voila.ip=127.0.0.1" in voila_command("dash/dashboard.ipynb", port=8866)
True
>>> "--DashboardKernelManager.max_kernels=3" in voila_command("d.ipynb", port=1, max_kernels=3)
True
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipereview._voila import (
    DEFAULT_CLOSED_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    check_address,
    check_limits,
    default_max_kernels,
    default_pool_size,
    is_loopback,
    voila_command,
)
from pipereview.core._errors import ServerError
from pipereview.core._languages import check_language
from pipereview.dashboard._servedstate import prepare_teams, served_history, stored_week
from pipereview.delivery._nursery import QUIET_KERNEL_ENV

if TYPE_CHECKING:
    from pipereview.config import Config

__all__ = [
    "DEFAULT_CLOSED_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "ServeState",
    "background_server",
    "check_address",
    "check_limits",
    "default_max_kernels",
    "default_pool_size",
    "free_port",
    "is_loopback",
    "prepare_dashboard",
    "serve",
    "stop_server",
    "voila_command",
]


@dataclass(frozen=True)
class ServeState:
    """What :func:`prepare_dashboard` wrote: the ``notebook`` Voilà runs, the ``config``
    file its kernel reads (via :data:`~pipereview.dashboard.CONFIG_VARIABLE`), the keyed
    ``history`` and the ``teams`` it holds."""

    notebook: Path
    config: Path
    history: Path
    teams: tuple[str, ...]

    @property
    def environment(self) -> dict[str, str]:
        """The environment variables the Voilà server (and so its kernels) needs."""
        from pipereview.dashboard import CONFIG_VARIABLE

        return {CONFIG_VARIABLE: str(self.config)}


def prepare_dashboard(
    state_dir: str | Path,
    *,
    store: str | Path | None = None,
    history: str | Path | None = None,
    targets: str | Path | None = None,
    team: str | None = None,
    week: str | None = None,
    lang: str = "en",
    exports: str | Path | None = None,
    warm: bool = True,
    config: Config | str | Path | None = None,
    templates: Sequence[str | Path] = (),
) -> ServeState:
    """Write what a served dashboard needs into ``state_dir``: the keyed history (from a
    batch's ``history`` Parquet, or keyed here from ``store``), only ``team``'s deals when
    the dashboard is locked to it, the notebook and the configuration. With ``warm`` the
    kernel computes the likely first views before the page is opened (worth it with a
    preheated kernel). ``config`` (a :class:`~pipereview.config.Config` or a configuration
    file) and ``templates`` (templates folders) become ``settings.yaml`` beside it, which
    every review of the page uses. The page marks the coaching log and shows and takes
    the forecast calls of ``store`` (the default store unless only ``history`` is served).

    Unknown teams, weeks and languages, and an empty store, are refused before anything
    is written, naming what exists.
    """
    from pipereview.config import portable_config, write_config
    from pipereview.dashboard import DashboardConfig, dashboard_notebook
    from pipereview.history._historyfile import write_history_file
    from pipereview.history._store import SnapshotStore, atomic_write

    check_language(lang)
    settings = portable_config(config, templates)  # a wrong file: refused before any work
    frame = served_history(store, history, team)
    teams = sorted(str(t) for t in frame["team"].dropna().unique())
    if week is not None:
        week = stored_week(frame, week)
    root = Path(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    history_path = root / "history.parquet"
    write_history_file(frame, history_path)  # laid out for each team's read
    notebook = root / "dashboard.ipynb"
    with atomic_write(notebook, "w", encoding="utf-8") as handle:
        json.dump(dashboard_notebook(), handle, ensure_ascii=False, indent=1)
    settings_path = (
        write_config(settings, root / "settings.yaml").resolve() if settings is not None else None
    )
    served = None if history and not store else str(SnapshotStore(store).root.resolve())
    prepared = prepare_teams(
        root / "teams", history_path, targets, settings_path, lang, warm, served, team
    )
    dashboard = DashboardConfig(
        history=str(history_path.resolve()),
        targets=str(Path(targets).resolve()) if targets else None,
        team=team,
        week=week,
        lang=lang,
        exports=str(Path(exports).resolve()) if exports else str((root / "exports").resolve()),
        warm=warm,
        settings=str(settings_path) if settings_path else None,
        prepared=str(prepared.resolve()),
        coaching_log=served,  # none for a history file alone
    )
    return ServeState(
        notebook=notebook,
        config=dashboard.write(root / "dashboard.json"),
        history=history_path,
        teams=tuple(teams if team is None else [team]),
    )


class _Stop(Exception):
    """A signal asked ``serve`` to stop."""


def stop_server(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop a server started by :func:`serve` or :func:`background_server` and every
    process it started: SIGTERM to its process group (Voilà then shuts its kernels down),
    and after ``grace`` seconds SIGKILL to whatever of them is left (kernels run in
    sessions of their own, so they are found as Voilà's descendants first)."""
    import psutil  # type: ignore[import-untyped]

    try:
        family = [
            psutil.Process(process.pid),
            *psutil.Process(process.pid).children(recursive=True),
        ]
    except psutil.NoSuchProcess:
        family = []
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _, alive = psutil.wait_procs(family, timeout=0 if process.poll() is None else 3)
    for survivor in alive:
        with suppress(psutil.NoSuchProcess):
            survivor.kill()
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _launch(
    state: ServeState, command: list[str], env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[bytes]:
    """Start Voilà in a process group of its own, told which process to outlive not."""
    environment = {
        **os.environ,
        **QUIET_KERNEL_ENV,  # its kernels' debugger: no warning in the server's log
        **state.environment,
        **(env or {}),
        "PIPEREVIEW_SERVE_PARENT": str(os.getpid()),
    }
    process: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        command, env=environment, cwd=state.notebook.parent, start_new_session=True, **kwargs
    )
    return process


def serve(
    state: ServeState,
    *,
    port: int = 8866,
    ip: str = "127.0.0.1",
    allow_remote: bool = False,
    preheat: bool = True,
    base_url: str = "/",
    max_kernels: int | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    closed_timeout: float = DEFAULT_CLOSED_TIMEOUT,
    pool_size: int | None = None,
) -> int:
    """Run Voilà on ``state`` until it stops or a signal (Ctrl-C, SIGTERM, SIGHUP) asks
    this process to stop; then stop Voilà and every kernel it started
    (:func:`stop_server`) and return 0; otherwise Voilà's exit status. A non-loopback
    ``ip`` is refused unless ``allow_remote`` (put the dashboard behind an authenticating
    proxy instead: docs/dashboard.md)."""
    check_address(ip, allow_remote=allow_remote)
    command = voila_command(
        state.notebook,
        port=port,
        ip=ip,
        preheat=preheat,
        base_url=base_url,
        max_kernels=max_kernels,
        idle_timeout=idle_timeout,
        closed_timeout=closed_timeout,
        pool_size=pool_size,
    )

    def stop(signum: int, _frame: object) -> None:
        raise _Stop(signum)

    # the handlers first: a signal at any moment after Voilà starts stops it (one during
    # the start itself leaves Voilà without its parent, which it notices within 2 s)
    handled = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {signum: signal.signal(signum, stop) for signum in handled}
    process: subprocess.Popen[bytes] | None = None
    try:
        process = _launch(state, command)
        return process.wait()
    except (_Stop, KeyboardInterrupt):
        for signum in handled:  # a second signal must not interrupt the clean-up
            signal.signal(signum, signal.SIG_IGN)
        if process is not None:
            stop_server(process)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def background_server(
    state: ServeState,
    *,
    port: int | None = None,
    preheat: bool = True,
    log: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    max_kernels: int | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    closed_timeout: float = DEFAULT_CLOSED_TIMEOUT,
    pool_size: int | None = None,
) -> Iterator[str]:
    """Run Voilà on ``state`` in the background on loopback (for scripts, benchmarks and
    tests) and yield its URL once the port accepts connections; stop it, and every kernel
    it started, on exit. Voilà's output goes to ``log``; a server that dies or does not
    open its port within ``timeout`` seconds raises :class:`RuntimeError` with the end of
    that log."""
    port = port or free_port()
    log_path = Path(log) if log else None
    sink = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = _launch(
        state,
        voila_command(
            state.notebook,
            port=port,
            preheat=preheat,
            max_kernels=max_kernels,
            idle_timeout=idle_timeout,
            closed_timeout=closed_timeout,
            pool_size=pool_size,
        ),
        env,
        stdout=sink,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
                raise ServerError(
                    f"Voilà did not start on port {port} (exit status {process.poll()}):\n{tail}",
                    hint="read the log above; if the port is taken, give --port",
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_server(process)
        if log_path:
            sink.close()  # type: ignore[union-attr]

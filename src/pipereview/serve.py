"""Serving the dashboard with Voilà: what ``pipereview serve`` prepares and starts.

:func:`prepare_dashboard` keys the store's history once and writes it, with the
dashboard notebook and its :class:`~pipereview.dashboard.DashboardConfig`, into a state
folder; a dashboard locked to a team gets a history holding that team's rows only, so its
kernel never has another team's deals to show. :func:`voila_command` is the Voilà command
line: loopback by default, sources stripped, tracebacks hidden, a preheated kernel (the
first page view then costs no kernel start or data load), no file served beyond the
page's own assets (Voilà itself passes only widget messages from the browser to the
kernel: code sent from a page is dropped, which a browser test checks).

>>> voila_command("dash/dashboard.ipynb", port=8866)[1:4]
['-m', 'voila', 'dash/dashboard.ipynb']
>>> "--Voila.ip=127.0.0.1" in voila_command("dash/dashboard.ipynb", port=8866)
True
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipereview.errors import InputError

__all__ = [
    "ServeState",
    "background_server",
    "check_address",
    "free_port",
    "is_loopback",
    "prepare_dashboard",
    "serve",
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


def is_loopback(ip: str) -> bool:
    """Whether ``ip`` only accepts connections from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def check_address(ip: str, *, allow_remote: bool = False) -> None:
    """Refuse (:class:`~pipereview.errors.InputError`) to listen beyond loopback unless
    ``allow_remote``: the dashboard has no login of its own."""
    if not is_loopback(ip) and not allow_remote:
        raise InputError(f"refusing to listen on {ip}: the dashboard has no login of its own",
                         expected="a loopback address such as 127.0.0.1",
                         hint="put it behind JupyterHub or a reverse proxy (docs/dashboard.md), "
                              "or pass --allow-remote if the network is trusted")


def prepare_dashboard(state_dir: str | Path, *, store: str | Path | None = None,
                      history: str | Path | None = None, targets: str | Path | None = None,
                      team: str | None = None, week: str | None = None, lang: str = "en",
                      exports: str | Path | None = None, warm: bool = True,
                      config: str | Path | None = None,
                      templates: Sequence[str | Path] = ()) -> ServeState:
    """Write what a served dashboard needs into ``state_dir``: the keyed history (from a
    batch's ``history`` Parquet, or keyed here from ``store``), only ``team``'s rows when
    the dashboard is locked to it, the notebook and the configuration. With ``warm`` the
    kernel computes the likely first views before the page is opened (worth it with a
    preheated kernel). ``config`` (a configuration file) and ``templates`` (templates
    folders) become ``settings.yaml`` beside it, which every review of the page uses.

    Unknown teams, weeks and languages, and an empty store, are refused before anything
    is written, naming what exists.
    """
    import pandas as pd

    from pipereview.dashboard import DashboardConfig, dashboard_notebook
    from pipereview.store import SnapshotStore, atomic_write

    if lang not in ("en", "zh"):
        raise InputError(f"unknown language {lang!r}", expected="en or zh")
    from pipereview.config import portable_config, write_config

    settings = portable_config(config, templates)  # a wrong file: refused before any work
    if history is not None:
        frame = pd.read_parquet(history)
        if "deal_key" not in frame.columns:
            raise InputError(f"{history} has no deal_key column", column="deal_key",
                             expected="a keyed history (a batch's _shared/history.parquet)",
                             hint="pass --store instead to key the store's history here")
    else:
        from pipereview.history import with_deal_keys

        snapshots = SnapshotStore(store)
        if not snapshots.weeks():
            raise InputError(f"the store {snapshots.root} holds no weeks yet",
                             hint="ingest a week first: pipereview ingest --help")
        frame = snapshots.history()
        if team is not None:
            frame = frame[frame["team"] == team]
        frame = with_deal_keys(frame)
    teams = sorted(str(t) for t in frame["team"].dropna().unique())
    if team is not None:
        if team not in teams:
            known = sorted(str(t) for t in pd.read_parquet(history, columns=["team"])["team"]
                           .unique()) if history is not None else sorted(
                str(t) for t in SnapshotStore(store).history()["team"].unique())
            raise InputError(f"team {team!r} has no stored snapshot",
                             expected=f"one of: {', '.join(known)}")
        frame = frame[frame["team"] == team]
    if week is not None:
        from pipereview.weeks import Week

        week = str(Week.parse(week))
        if week not in set(frame["snapshot_week"].astype("str")):
            raise InputError(f"no snapshot stored for {week}",
                             expected=f"one of: {', '.join(sorted(set(frame['snapshot_week'].astype('str'))))}")
    root = Path(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    history_path = root / "history.parquet"
    with atomic_write(history_path, "wb") as handle:
        frame.reset_index(drop=True).to_parquet(handle)
    notebook = root / "dashboard.ipynb"
    with atomic_write(notebook, "w", encoding="utf-8") as handle:
        json.dump(dashboard_notebook(), handle, ensure_ascii=False, indent=1)
    settings_path = (write_config(settings, root / "settings.yaml").resolve()
                     if settings is not None else None)
    dashboard = DashboardConfig(
        history=str(history_path.resolve()),
        targets=str(Path(targets).resolve()) if targets else None, team=team, week=week,
        lang=lang, exports=str(Path(exports).resolve()) if exports else str((root / "exports")
                                                                              .resolve()),
        warm=warm, settings=str(settings_path) if settings_path else None)
    return ServeState(notebook=notebook, config=dashboard.write(root / "dashboard.json"),
                      history=history_path, teams=tuple(teams if team is None else [team]))


def voila_command(notebook: str | Path, *, port: int, ip: str = "127.0.0.1",
                  preheat: bool = True, base_url: str = "/") -> list[str]:
    """The Voilà command line that serves ``notebook`` on ``ip``:``port`` under
    ``base_url`` (e.g. ``/north/`` behind a reverse proxy)."""
    if not base_url.startswith("/") or not base_url.endswith("/"):
        raise InputError(f"base URL {base_url!r} must start and end with '/'",
                         expected="e.g. /pipeline/north/")
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               f"--Voila.ip={ip}", f"--Voila.base_url={base_url}", "--strip_sources=True",
               "--show_tracebacks=False", "--VoilaConfiguration.file_allowlist", "(?!)"]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    return command


def serve(state: ServeState, *, port: int = 8866, ip: str = "127.0.0.1",
          allow_remote: bool = False, preheat: bool = True, base_url: str = "/") -> int:
    """Run Voilà on ``state`` until it stops (Ctrl-C); return its exit status. A
    non-loopback ``ip`` is refused unless ``allow_remote`` (put the dashboard behind an
    authenticating proxy instead: docs/dashboard.md)."""
    check_address(ip, allow_remote=allow_remote)
    env = {**os.environ, **state.environment}
    command = voila_command(state.notebook, port=port, ip=ip, preheat=preheat,
                            base_url=base_url)
    process = subprocess.Popen(command, env=env, cwd=state.notebook.parent)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def background_server(state: ServeState, *, port: int | None = None, preheat: bool = True,
                      log: str | Path | None = None, env: dict[str, str] | None = None,
                      timeout: float = 60.0) -> Iterator[str]:
    """Run Voilà on ``state`` in the background on loopback (for scripts, benchmarks and
    tests) and yield its URL once the port accepts connections; stop it on exit. Voilà's
    output goes to ``log``; a server that dies or does not open its port within
    ``timeout`` seconds raises :class:`RuntimeError` with the end of that log."""
    port = port or free_port()
    log_path = Path(log) if log else None
    sink = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(voila_command(state.notebook, port=port, preheat=preheat),
                               env={**os.environ, **state.environment, **(env or {})},
                               cwd=state.notebook.parent, stdout=sink,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
                raise RuntimeError(f"Voilà did not start on port {port} "
                                   f"(exit status {process.poll()}):\n{tail}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            sink.close()  # type: ignore[union-attr]

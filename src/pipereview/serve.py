"""Serving the dashboard with Voilà: what ``pipereview serve`` prepares and starts.

:func:`prepare_dashboard` keys the store's history once and writes it, with the
dashboard notebook and its :class:`~pipereview.dashboard.DashboardConfig`, into a state
folder; a dashboard locked to a team gets a history holding that team's rows only, so its
kernel never has another team's deals to show. :func:`voila_command` is the Voilà command
line (Voilà with the guards of :mod:`pipereview.dashboard.server`): loopback by default,
sources stripped, tracebacks hidden, a preheated kernel (the first page view then costs
no kernel start or data load), no file served beyond the page's own assets (Voilà itself
passes only widget messages from the browser to the kernel: code sent from a page is
dropped, which a browser test checks), at most ``max_kernels`` pages at once, a closed
page's kernel freed within ``closed_timeout`` seconds and an idle one after
``idle_timeout``, nothing fetched from outside the server. :func:`serve` runs it until a
signal (Ctrl-C, SIGTERM, SIGHUP) and then stops Voilà and every kernel it started.

>>> voila_command("dash/dashboard.ipynb", port=8866)[1:4]
['-m', 'pipereview.dashboard.server', 'dash/dashboard.ipynb']
>>> "--Voila.ip=127.0.0.1" in voila_command("dash/dashboard.ipynb", port=8866)
True
>>> "--DashboardKernelManager.max_kernels=3" in voila_command("d.ipynb", port=1, max_kernels=3)
True
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from pipereview.core._errors import InputError, ServerError
from pipereview.core._languages import check_language

__all__ = [
    "DEFAULT_CLOSED_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "ServeState",
    "background_server",
    "check_address",
    "check_limits",
    "default_max_kernels",
    "free_port",
    "is_loopback",
    "prepare_dashboard",
    "serve",
    "stop_server",
    "voila_command",
]

#: Seconds a page's kernel lives once the page is closed (or never opened its socket).
DEFAULT_CLOSED_TIMEOUT = 20.0
#: Seconds of inactivity after which an open page's kernel is freed (the page then asks
#: for a reload).
DEFAULT_IDLE_TIMEOUT = 1800


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
    """Refuse (:class:`~pipereview.core._errors.InputError`) to listen beyond loopback unless
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
    from pipereview.dashboard import DashboardConfig, dashboard_notebook
    from pipereview.history._store import SnapshotStore, atomic_write

    check_language(lang)
    from pipereview.config import portable_config, write_config

    settings = portable_config(config, templates)  # a wrong file: refused before any work
    from pipereview.history._trail import load_history

    if history is not None:
        frame = load_history(file=history, team=team, keyed=False)
        if "deal_key" not in frame.columns:
            raise InputError(f"{history} has no deal_key column", column="deal_key",
                             expected="a keyed history (a Parquet file with a deal_key column)",
                             hint="pass --store instead to key the store's history here")
    else:
        snapshots = SnapshotStore(store)
        if not snapshots.weeks():
            raise InputError(f"the store {snapshots.root} holds no weeks yet",
                             hint="ingest a week first: pipereview ingest --help")
        frame = load_history(snapshots, team=team)
    teams = sorted(str(t) for t in frame["team"].dropna().unique())
    if week is not None:
        from pipereview.core._weeks import Week

        week = str(Week.parse(week))
        if week not in set(frame["snapshot_week"].astype("str")):
            raise InputError(f"no snapshot stored for {week}",
                             expected=f"one of: {', '.join(sorted(set(frame['snapshot_week'].astype('str'))))}",
                             hint="give --week one of the stored weeks (pipereview weeks lists them)")
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


def default_max_kernels() -> int:
    """The default cap on open pages: four per core, at least 4, at most 16 (each page
    holds a kernel of ~300-500 MB)."""
    return max(4, min(16, 4 * (os.cpu_count() or 1)))


def check_limits(max_kernels: int, idle_timeout: float, closed_timeout: float) -> None:
    """Refuse (:class:`~pipereview.core._errors.InputError`) limits that cannot work."""
    if max_kernels < 1:
        raise InputError(f"--max-kernels {max_kernels} leaves no page",
                         expected="at least 1 (each open page holds one kernel)",
                         hint="give --max-kernels 1 or more, or leave it out for the default")
    if idle_timeout < 60:
        raise InputError(f"--idle-timeout {idle_timeout:g} s would free pages in use",
                         expected="at least 60 seconds", hint="give --idle-timeout 60 or more")
    if not 5 <= closed_timeout <= idle_timeout:
        raise InputError(f"a closed page's grace of {closed_timeout:g} s is out of range",
                         expected=f"between 5 seconds and the idle timeout ({idle_timeout:g} s)",
                         hint="give --closed-timeout within that range")


def voila_command(notebook: str | Path, *, port: int, ip: str = "127.0.0.1",
                  preheat: bool = True, base_url: str = "/", max_kernels: int | None = None,
                  idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                  closed_timeout: float = DEFAULT_CLOSED_TIMEOUT) -> list[str]:
    """The Voilà command line that serves ``notebook`` on ``ip``:``port`` under
    ``base_url`` (e.g. ``/north/`` behind a reverse proxy), with at most ``max_kernels``
    pages at once (default :func:`default_max_kernels`), a page's kernel freed after
    ``idle_timeout`` seconds of inactivity and ``closed_timeout`` seconds after its page
    is closed."""
    if not base_url.startswith("/") or not base_url.endswith("/"):
        raise InputError(f"base URL {base_url!r} must start and end with '/'",
                         expected="e.g. /pipeline/north/",
                         hint="write --base-url with a slash at both ends")
    max_kernels = default_max_kernels() if max_kernels is None else max_kernels
    check_limits(max_kernels, idle_timeout, closed_timeout)
    manager = "DashboardKernelManager"
    command = [sys.executable, "-m", "pipereview.dashboard.server", str(notebook),
               "--no-browser", f"--port={port}", "--Voila.port_retries=0",
               f"--Voila.ip={ip}", f"--Voila.base_url={base_url}", "--strip_sources=True",
               "--show_tracebacks=False", "--VoilaConfiguration.file_allowlist", "(?!)",
               "--VoilaConfiguration.multi_kernel_manager_class="
               f"pipereview.dashboard.server.{manager}",
               "--Voila.kernel_websocket_connection_class="
               "pipereview.dashboard.server.SafeChannels",
               f"--{manager}.max_kernels={max_kernels}",
               f"--{manager}.cull_idle_timeout={int(idle_timeout)}",
               f"--{manager}.closed_timeout={closed_timeout:g}",
               f"--{manager}.cull_interval={max(1, min(5, int(closed_timeout) // 2))}"]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    return command


class _Stop(Exception):
    """A signal asked ``serve`` to stop."""


def stop_server(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop a server started by :func:`serve` or :func:`background_server` and every
    process it started: SIGTERM to its process group (Voilà then shuts its kernels down),
    and after ``grace`` seconds SIGKILL to whatever of them is left (kernels run in
    sessions of their own, so they are found as Voilà's descendants first)."""
    import psutil  # type: ignore[import-untyped]

    try:
        family = [psutil.Process(process.pid), *psutil.Process(process.pid)
                  .children(recursive=True)]
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


def _launch(state: ServeState, command: list[str], env: dict[str, str] | None = None,
            **kwargs: object) -> subprocess.Popen[bytes]:
    """Start Voilà in a process group of its own, told which process to outlive not."""
    environment = {**os.environ, **state.environment, **(env or {}),
                   "PIPEREVIEW_SERVE_PARENT": str(os.getpid())}
    process: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        command, env=environment, cwd=state.notebook.parent, start_new_session=True, **kwargs)
    return process


def serve(state: ServeState, *, port: int = 8866, ip: str = "127.0.0.1",
          allow_remote: bool = False, preheat: bool = True, base_url: str = "/",
          max_kernels: int | None = None, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
          closed_timeout: float = DEFAULT_CLOSED_TIMEOUT) -> int:
    """Run Voilà on ``state`` until it stops or a signal (Ctrl-C, SIGTERM, SIGHUP) asks
    this process to stop; then stop Voilà and every kernel it started
    (:func:`stop_server`) and return 0; otherwise Voilà's exit status. A non-loopback
    ``ip`` is refused unless ``allow_remote`` (put the dashboard behind an authenticating
    proxy instead: docs/dashboard.md)."""
    check_address(ip, allow_remote=allow_remote)
    command = voila_command(state.notebook, port=port, ip=ip, preheat=preheat,
                            base_url=base_url, max_kernels=max_kernels,
                            idle_timeout=idle_timeout, closed_timeout=closed_timeout)

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
def background_server(state: ServeState, *, port: int | None = None, preheat: bool = True,
                      log: str | Path | None = None, env: dict[str, str] | None = None,
                      timeout: float = 60.0, max_kernels: int | None = None,
                      idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                      closed_timeout: float = DEFAULT_CLOSED_TIMEOUT) -> Iterator[str]:
    """Run Voilà on ``state`` in the background on loopback (for scripts, benchmarks and
    tests) and yield its URL once the port accepts connections; stop it, and every kernel
    it started, on exit. Voilà's output goes to ``log``; a server that dies or does not
    open its port within ``timeout`` seconds raises :class:`RuntimeError` with the end of
    that log."""
    port = port or free_port()
    log_path = Path(log) if log else None
    sink = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = _launch(state, voila_command(state.notebook, port=port, preheat=preheat,
                                           max_kernels=max_kernels,
                                           idle_timeout=idle_timeout,
                                           closed_timeout=closed_timeout),
                      env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
                raise ServerError(f"Voilà did not start on port {port} "
                                  f"(exit status {process.poll()}):\n{tail}",
                                  hint="read the log above; if the port is taken, give --port")
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

"""The Voilà command line that ``pipereview serve`` runs, and what is refused before it
runs: an address beyond loopback unless allowed (the dashboard has no login of its own),
limits on open pages and kernel lifetimes that cannot work, a base URL without its
slashes. The server is Voilà with the guards of :mod:`pipereview.dashboard.server`;
:mod:`pipereview.serve` starts and stops it.

>>> voila_command("dash/dashboard.ipynb", port=8866, base_url="/north/")[5:9]
['--port=8866', '--Voila.port_retries=0', '--Voila.ip=127.0.0.1', '--Voila.base_url=/north/']
>>> check_address("0.0.0.0")
Traceback (most recent call last):
...
pipereview.core._errors.InputError: refusing to listen on 0.0.0.0: the dashboard has no login ...
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

from pipereview.core._errors import InputError

__all__ = [
    "DEFAULT_CLOSED_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "check_address",
    "check_limits",
    "default_max_kernels",
    "default_pool_size",
    "is_loopback",
    "voila_command",
]

#: Seconds a page's kernel lives once the page is closed (or never opened its socket).
DEFAULT_CLOSED_TIMEOUT = 20.0
#: Seconds of inactivity after which an open page's kernel is freed (the page then asks
#: for a reload).
DEFAULT_IDLE_TIMEOUT = 1800


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
        raise InputError(
            f"refusing to listen on {ip}: the dashboard has no login of its own",
            expected="a loopback address such as 127.0.0.1",
            hint="put it behind JupyterHub or a reverse proxy (docs/dashboard.md), "
            "or pass --allow-remote if the network is trusted",
        )


def _memory_gib() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (ValueError, OSError, AttributeError):
        return 4.0


def default_max_kernels() -> int:
    """The default cap on open pages: a quarter of the machine's memory at 250 MB a page
    (a page holds a kernel of ~150-250 MB), at least 4, at most 64 (an idle page costs
    memory, not CPU): 24 on a 24 GiB machine."""
    return max(4, min(64, int(_memory_gib() * 1024 / 4 / 250)))


def default_pool_size() -> int:
    """The default number of preheated kernels waiting for the next pages: two per core,
    at least 2, at most 8, and no more than an eighth of the memory at 250 MB each (pages
    opened at once take them; Voilà starts a new one as each is taken)."""
    by_memory = int(_memory_gib() * 1024 / 8 / 250)
    return max(1, min(8, max(2, 2 * (os.cpu_count() or 1)), by_memory))


def check_limits(
    max_kernels: int, idle_timeout: float, closed_timeout: float, pool_size: int = 1
) -> None:
    """Refuse (:class:`~pipereview.core._errors.InputError`) limits that cannot work."""
    if not 0 <= pool_size <= 64:
        raise InputError(
            f"--pool-size {pool_size} is out of range",
            expected="0 to 64 preheated kernels (each holds ~150-250 MB while it waits)",
            hint="give --pool-size within that range (0: no preheated kernel, as --no-preheat)",
        )
    if max_kernels < 1:
        raise InputError(
            f"--max-kernels {max_kernels} leaves no page",
            expected="at least 1 (each open page holds one kernel)",
            hint="give --max-kernels 1 or more, or leave it out for the default",
        )
    if idle_timeout < 60:
        raise InputError(
            f"--idle-timeout {idle_timeout:g} s would free pages in use",
            expected="at least 60 seconds",
            hint="give --idle-timeout 60 or more",
        )
    if not 5 <= closed_timeout <= idle_timeout:
        raise InputError(
            f"a closed page's grace of {closed_timeout:g} s is out of range",
            expected=f"between 5 seconds and the idle timeout ({idle_timeout:g} s)",
            hint="give --closed-timeout within that range",
        )


def voila_command(
    notebook: str | Path,
    *,
    port: int,
    ip: str = "127.0.0.1",
    preheat: bool = True,
    base_url: str = "/",
    max_kernels: int | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    closed_timeout: float = DEFAULT_CLOSED_TIMEOUT,
    pool_size: int | None = None,
) -> list[str]:
    """The Voilà command line that serves ``notebook`` on ``ip``:``port`` under
    ``base_url`` (e.g. ``/north/`` behind a reverse proxy), with at most ``max_kernels``
    pages at once (default :func:`default_max_kernels`), a page's kernel freed after
    ``idle_timeout`` seconds of inactivity and ``closed_timeout`` seconds after its page
    is closed, and ``pool_size`` preheated kernels waiting for the next pages (default
    :func:`default_pool_size`; none without ``preheat``)."""
    if not base_url.startswith("/") or not base_url.endswith("/"):
        raise InputError(
            f"base URL {base_url!r} must start and end with '/'",
            expected="e.g. /pipeline/north/",
            hint="write --base-url with a slash at both ends",
        )
    max_kernels = default_max_kernels() if max_kernels is None else max_kernels
    pool_size = default_pool_size() if pool_size is None else pool_size
    check_limits(max_kernels, idle_timeout, closed_timeout, pool_size)
    manager = "DashboardKernelManager"
    command = [
        sys.executable,
        "-m",
        "pipereview.dashboard.server",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={ip}",
        f"--Voila.base_url={base_url}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.file_allowlist",
        "(?!)",
        f"--VoilaConfiguration.multi_kernel_manager_class=pipereview.dashboard.server.{manager}",
        "--Voila.kernel_websocket_connection_class=pipereview.dashboard.server.SafeChannels",
        f"--{manager}.max_kernels={max_kernels}",
        f"--{manager}.cull_idle_timeout={int(idle_timeout)}",
        f"--{manager}.closed_timeout={closed_timeout:g}",
        f"--{manager}.cull_interval={max(1, min(5, int(closed_timeout) // 2))}",
    ]
    if preheat and pool_size > 0:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    return command

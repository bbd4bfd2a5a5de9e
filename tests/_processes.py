"""Whether a process is still running, for the tests that kill kernels, servers and
batches: a zombie (ended, not yet reaped by its parent) counts as ended."""

from __future__ import annotations

import time

import psutil


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (not gone, not a zombie)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def ended(pid: int, seconds: float = 10) -> bool:
    """Whether ``pid`` ends within ``seconds``."""
    end = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def kernel_processes(runtime: str) -> list[psutil.Process]:
    """The live kernels of the test whose Jupyter runtime folder is ``runtime``: launched
    ones name their connection file there on their command line; forked ones carry the
    command line of the batch's nursery and, from it, the test's environment."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any(runtime in part for part in cmdline):
            found.append(proc)
        elif any("_nurseryprocess" in part for part in cmdline):
            try:
                environment = proc.environ()
            except psutil.Error:  # gone meanwhile
                continue
            if environment.get("JUPYTER_RUNTIME_DIR") == runtime:
                found.append(proc)
    return found

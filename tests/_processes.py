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

"""Kernels forked from the batch's nursery behave as launched kernels do: a fresh process
and session of their own per team, the review's modules imported before the team starts,
interrupted, killed and reported dead the same way; a command the nursery cannot serve,
and a nursery that is gone, fall back to launching; the nursery and its kernels do not
outlive the batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

from _kernelcode import ready_client, run_code
from _processes import ended, kernel_processes
from pipereview.charts import to_svg
from pipereview.charts._chartserver import CHART_SERVER_ENV
from pipereview.delivery._kernels import (
    WARM_MODULES,
    Deadline,
    KernelPool,
    exit_status,
    shutdown_kernel,
    start_kernel,
)
from pipereview.delivery._nursery import ForkedKernel, Nursery, can_fork, forkable

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not can_fork(), reason="kernels are forked on Linux only"),
]

_STATE = (
    "import json, os, signal, sys\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'sid': os.getsid(0),"
    " 'argv0': sys.argv[0], 'parent': os.environ.get('JPY_PARENT_PID'), 'cwd': os.getcwd(),"
    " 'signals': [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM,"
    " signal.SIGPIPE, signal.SIGCHLD)],"
    " 'modules': sorted(m for m in %r if m in sys.modules),"
    " 'marker': 'left_by_a_team' in globals()}))\n"
    "left_by_a_team = 1\n"
)


def _state(manager: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads("".join(run_code(manager, _STATE % (WARM_MODULES,))[1]))
    return found


@pytest.fixture
def nursery() -> Any:
    made = Nursery(WARM_MODULES)
    yield made
    made.close()


def test_each_team_gets_a_fresh_forked_kernel_with_the_imports_done(nursery: Nursery) -> None:
    launched = start_kernel()
    first, second = start_kernel(nursery), start_kernel(nursery)
    try:
        assert isinstance(first.provisioner.process, ForkedKernel)
        assert isinstance(second.provisioner.process, ForkedKernel)
        reference = _state(launched)
        one, other = _state(first), _state(second)
        again = _state(first)
    finally:
        for manager in (launched, first, second):
            shutdown_kernel(manager)
    nursery_pid = nursery._process.pid
    assert one["pid"] != other["pid"] and nursery_pid not in (one["pid"], other["pid"])
    for kernel in (one, other):
        assert kernel["ppid"] == nursery_pid  # forked, not launched
        assert kernel["sid"] == kernel["pid"]  # a session of its own, killed as a group
        assert kernel["parent"] == str(os.getpid())  # it watches the batch, as launched
        assert kernel["argv0"] == reference["argv0"]
        assert kernel["cwd"] == reference["cwd"]
        assert kernel["signals"] == reference["signals"]  # SIGPIPE ignored, as Python sets it
        assert kernel["modules"] == sorted(WARM_MODULES)  # before any warm-up ran
        assert kernel["marker"] is False  # nothing of another team
    assert again["marker"] is True  # the same kernel keeps its own names
    assert reference["modules"] == []  # a launched kernel imports nothing ahead


def test_a_forked_kernel_is_interrupted_killed_and_reported_like_a_launched_one(
    nursery: Nursery,
) -> None:
    manager = start_kernel(nursery)
    try:
        client = ready_client(manager)
        client.execute("import time; time.sleep(60)")
        time.sleep(1)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=30)
        client.stop_channels()
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        run_code(manager, "import subprocess; child = subprocess.Popen(['sleep', '300'])")
        child = int(run_code(manager, "print(child.pid)")[1][0])
        deadline = Deadline(0.5)
        deadline.watch(manager)
        for _ in range(100):
            if not manager.is_alive():
                break
            time.sleep(0.1)
        assert exit_status(manager) == (
            " (killed by signal 9, SIGKILL; the out-of-memory killer sends this)"
        )
        assert ended(child, 5)  # what the notebook started died with it
    finally:
        shutdown_kernel(manager)


def test_a_forked_kernel_that_exits_reports_its_status(nursery: Nursery) -> None:
    manager = start_kernel(nursery)
    try:
        client = ready_client(manager)
        client.execute("import os; os._exit(3)")
        client.stop_channels()
        manager.provisioner.process.wait(timeout=30)
        assert exit_status(manager) == " (exit status 3)"
    finally:
        shutdown_kernel(manager)


def test_only_this_interpreters_ipykernel_is_forked(tmp_path: Path) -> None:
    argv = forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"])
    assert argv is not None and argv[1:] == ["-f", "k.json"]
    assert argv[0].endswith("ipykernel_launcher.py")
    alias = tmp_path / "python"
    alias.symlink_to(sys.executable)  # the same interpreter under another name
    assert forkable([str(alias), "-m", "ipykernel_launcher", "-f", "k.json"]) == argv
    for other in (
        [str(tmp_path / "missing-python"), "-m", "ipykernel_launcher", "-f", "k.json"],
        ["/bin/sh", "-m", "ipykernel_launcher", "-f", "k.json"],
        [sys.executable, "-X", "dev", "-m", "ipykernel_launcher", "-f", "k.json"],
        [sys.executable, "-m", "other_kernel", "-f", "k.json"],
        [sys.executable, "-m"],
    ):
        assert forkable(other) is None, other


def test_a_gone_nursery_means_launched_kernels_and_its_kernels_still_end(
    nursery: Nursery,
) -> None:
    forked, unseen = start_kernel(nursery), start_kernel(nursery)
    nursery._process.kill()
    nursery._process.wait()
    assert nursery.gone.wait(10)
    launched = start_kernel(nursery)
    try:
        assert not isinstance(launched.provisioner.process, ForkedKernel)
        assert run_code(launched, "print(6 * 7)")[1] == ["42\n"]
        os.kill(unseen.provisioner.process.pid, signal.SIGKILL)  # nobody left to report it
        unseen.provisioner.process.wait(timeout=30)
        assert exit_status(unseen) == (
            " (how it ended is unknown: the process that forked it had ended first)"
        )
    finally:
        for manager in (launched, forked, unseen):
            shutdown_kernel(manager)  # no report will come: they end all the same
    assert forked.provisioner.process is None  # waited for and cleared
    assert not forked.is_alive()


_BATCH_GONE = textwrap.dedent(
    """
    import json, os, sys
    from pipereview.delivery._kernels import WARM_MODULES, start_kernel
    from pipereview.delivery._nursery import Nursery
    nursery = Nursery(WARM_MODULES)
    manager = start_kernel(nursery)
    print(json.dumps([nursery._process.pid, manager.provisioner.process.pid]), flush=True)
    os._exit(0)  # the batch dies without shutting anything down
    """
)


def test_when_the_batch_is_gone_the_nursery_ends_its_kernels_and_itself() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BATCH_GONE], capture_output=True, text=True, timeout=120
    )
    pids = json.loads(done.stdout.splitlines()[-1])
    assert all(ended(pid) for pid in pids)


def test_a_warm_pool_forks_and_a_cold_pool_launches() -> None:
    warm, cold = KernelPool(1, ahead=1), KernelPool(1, ahead=1, warm=False)
    taken = [warm.take(), cold.take()]
    try:
        assert isinstance(taken[0].provisioner.process, ForkedKernel)
        assert not isinstance(taken[1].provisioner.process, ForkedKernel)
    finally:
        for manager in taken:
            shutdown_kernel(manager)
        warm.close()
        cold.close()
    assert warm._nursery is not None and warm._nursery._process.poll() is not None


_DRAW = (
    "import json, os\n"
    "from pipereview.charts import to_svg\n"
    "import altair as alt, pandas as pd\n"
    "threads = len(os.listdir('/proc/self/task'))\n"
    "svg = to_svg(alt.Chart(pd.DataFrame({'a': [1, 2]})).mark_bar().encode(x='a:Q'))\n"
    "print(json.dumps({'server': os.environ.get(%r), 'svg': svg,"
    " 'engine_threads': len(os.listdir('/proc/self/task')) - threads}))\n"
)


def test_a_pools_kernels_draw_through_its_one_chart_server() -> None:
    pool = KernelPool(2, ahead=2)
    taken = [pool.take(), pool.take()]
    try:
        drawn = [json.loads("".join(run_code(m, _DRAW % CHART_SERVER_ENV)[1])) for m in taken]
    finally:
        for manager in taken:
            shutdown_kernel(manager)
        pool.close()
    local = to_svg(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q"))
    assert drawn[0]["server"] and drawn[0]["server"] == drawn[1]["server"]  # one for all
    for kernel in drawn:
        assert kernel["svg"] == local  # the same SVG as drawn here
        assert kernel["engine_threads"] == 0  # no engine of its own started
    assert not Path(drawn[0]["server"]).parent.exists()  # removed with the pool


def test_a_forked_kernel_is_found_among_this_tests_kernels_until_shut_down() -> None:
    """What the batch's fault tests look for when they check no kernel is left."""
    runtime = os.environ["JUPYTER_RUNTIME_DIR"]
    pool = KernelPool(1, ahead=1)
    manager = pool.take()
    try:
        pid = manager.provisioner.process.pid
        assert pid in {proc.pid for proc in kernel_processes(runtime)}
    finally:
        shutdown_kernel(manager)
        pool.close()
    assert kernel_processes(runtime) == []  # neither the kernel nor the nursery is left


def test_starting_kernels_prints_nothing_on_the_users_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Without PYDEVD_DISABLE_FILE_VALIDATION in their environment, the nursery and a
    launched kernel each printed the debugger's frozen-modules warning on the terminal of
    `pipereview run` (and in the log of `pipereview serve`)."""
    capfd.readouterr()
    made = Nursery(WARM_MODULES)
    try:
        managers = [start_kernel(), start_kernel(made)]
        try:
            for manager in managers:
                assert run_code(manager, "print(1 + 1)\n")[1] == ["2\n"]
        finally:
            for manager in managers:
                shutdown_kernel(manager)
    finally:
        made.close()
    printed = capfd.readouterr()
    assert "Debugger warning" not in printed.err + printed.out
    assert "frozen modules" not in printed.err + printed.out

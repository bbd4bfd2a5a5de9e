"""The dashboard server's guards (pipereview.dashboard.server, pipereview.serve): pages
capped with a short page beyond the cap, a page's kernel freed when it is closed or never
opened, no traceback or server path in what the server sends, nothing fetched from
outside the server, and SIGTERM or SIGINT to ``pipereview serve`` stopping Voilà and
every kernel and closing the port.

Kernels are counted in the process table: the kernels of one server are the
``ipykernel_launcher`` processes whose environment names that server's configuration.
tests/test_dashboard_browser.py opens and closes real pages."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from jupyter_client.session import Session
from typer.testing import CliRunner

from pipereview.cli import app as cli
from pipereview.dashboard import CONFIG_VARIABLE
from pipereview.dashboard.server import TEMPLATE_DIR, SafeChannels, full_page
from pipereview.serve import (
    ServeState,
    background_server,
    check_limits,
    default_max_kernels,
    default_pool_size,
    free_port,
    prepare_dashboard,
    voila_command,
)

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "data" / "samples" / "targets.csv"
# what must never reach a browser: a Python traceback, a frame line, a server path
LEAK = re.compile(r"Traceback|File \"|site-packages|/(?:tmp|work|home|root)/")


def kernels_of(state: ServeState) -> list[psutil.Process]:
    """The live kernel processes of the server that serves ``state``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "ipykernel_launcher" in " ".join(
                process.info["cmdline"] or []
            ) and process.environ().get(CONFIG_VARIABLE) == str(state.config):
                found.append(process)
        except psutil.Error:
            pass
    return found


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def hermetic(root: Path) -> dict[str, str]:
    """Jupyter and IPython write under $HOME: keep them in the test's folder."""
    dirs = {
        name: root / name.lower()
        for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return {name: str(path) for name, path in dirs.items()}


def get(url: str, *, read_for: float = 3.0, method: str = "GET") -> tuple[int, str]:
    """A plain HTTP request, no browser: the status (waiting up to 120 s for it: a loaded
    machine starts kernels slowly) and what arrived within ``read_for`` seconds more (a
    Voilà page keeps streaming while its kernel works)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body=b"" if method == "POST" else None,
        )
        response = connection.getresponse()
        if connection.sock is not None:
            connection.sock.settimeout(read_for)
        chunks = []
        try:
            while chunk := response.read1(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return response.status, b"".join(chunks).decode("utf-8", "replace")
    finally:
        connection.close()


# --- the command line and the pieces, without a server --------------------------------------
def test_voila_runs_with_the_guards() -> None:
    command = voila_command(
        "d/dashboard.ipynb", port=1, max_kernels=3, idle_timeout=600, closed_timeout=10
    )
    assert command[1:4] == ["-m", "pipereview.dashboard.server", "d/dashboard.ipynb"]
    for flag in (
        "--VoilaConfiguration.multi_kernel_manager_class="
        "pipereview.dashboard.server.DashboardKernelManager",
        "--Voila.kernel_websocket_connection_class=pipereview.dashboard.server.SafeChannels",
        "--DashboardKernelManager.max_kernels=3",
        "--DashboardKernelManager.cull_idle_timeout=600",
        "--DashboardKernelManager.closed_timeout=10",
        "--show_tracebacks=False",
        "--Voila.ip=127.0.0.1",
    ):
        assert flag in command, flag
    assert 4 <= default_max_kernels() <= 64
    assert 1 <= default_pool_size() <= 8
    assert f"--DashboardKernelManager.max_kernels={default_max_kernels()}" in voila_command(
        "d.ipynb", port=1
    )


@pytest.mark.parametrize(
    ("max_kernels", "idle", "closed", "message"),
    [
        (0, 1800, 20, "--max-kernels 0 leaves no page"),
        (4, 30, 20, "--idle-timeout 30 s would free pages in use"),
        (4, 1800, 2, "a closed page's grace of 2 s is out of range"),
        (4, 600, 900, "a closed page's grace of 900 s is out of range"),
    ],
)
def test_limits_that_cannot_work_are_refused(
    max_kernels: int, idle: int, closed: int, message: str, sample_store: Path
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_limits(max_kernels, idle, closed)
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--store",
            str(sample_store),
            "--max-kernels",
            str(max_kernels),
            "--idle-timeout",
            str(idle),
            "--closed-timeout",
            str(closed),
        ],
    )
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_the_full_page_is_short_and_names_the_limit() -> None:
    assert (
        "The dashboard is at its limit of 8 open pages; close a tab or try again in a minute."
    ) in full_page(8)
    assert "limit of 1 open page;" in full_page(1)
    assert not LEAK.search(full_page(8)) and "http" not in full_page(8)


def test_the_page_template_references_nothing_remote() -> None:
    for template in TEMPLATE_DIR.iterdir():
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"(href|src)=[\"']?(https?:)?//", text), template.name


@pytest.mark.parametrize(
    ("kind", "content", "withheld"),
    [
        ("stream", {"name": "stderr", "text": 'Traceback ...\n  File "/srv/x.py"'}, True),
        ("stream", {"name": "stdout", "text": "/srv/pipereview/state"}, True),
        ("error", {"ename": "TraitError", "evalue": "", "traceback": ["..."]}, True),
        ("execute_reply", {"status": "error", "ename": "E", "evalue": "", "traceback": []}, True),
        ("comm_info_reply", {"status": "ok", "comms": {}}, False),
        ("comm_msg", {"comm_id": "c", "data": {"method": "update", "state": {}}}, False),
        ("status", {"execution_state": "idle"}, False),
    ],
)
def test_the_browser_channel_withholds_output_and_errors(
    kind: str, content: dict[str, object], withheld: bool
) -> None:
    session = Session(key=b"secret")
    frames = session.serialize(session.msg(kind, content=content), ident=[b"kernel"])
    assert SafeChannels._withheld(SimpleNamespace(session=session), frames) is withheld
    assert SafeChannels._withheld(SimpleNamespace(session=session), [b"garbage"]) is True


# --- a served dashboard ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def capped(
    sample_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServeState, str, Path]]:
    """A server for at most 2 pages that frees a closed page's kernel after 5 s (15 s for
    a page that never connected)."""
    root = tmp_path_factory.mktemp("capped")
    state = prepare_dashboard(root / "state", store=sample_store, targets=TARGETS)
    log = root / "voila.log"
    with background_server(
        state, log=log, env=hermetic(root), max_kernels=2, closed_timeout=5, pool_size=1
    ) as url:
        assert wait_for(lambda: len(kernels_of(state)) == 1, 60), "no preheated kernel"
        yield state, url, log


@pytest.mark.slow
def test_plain_gets_are_capped_and_leave_no_kernel_behind(
    capped: tuple[ServeState, str, Path],
) -> None:
    state, url, log = capped
    assert wait_for(lambda: len(kernels_of(state)) == 1, 60)  # the preheated kernel
    first, _ = get(url)
    second, _ = get(url)
    assert (first, second) == (200, 200)
    assert wait_for(lambda: len(kernels_of(state)) == 3, 30)  # 2 pages + the preheated one
    status, page = get(url)  # a third page: refused, no kernel started
    assert status == 503, page[:500]
    assert "at its limit of 2 open pages; close a tab or try again in a minute" in page
    assert not LEAK.search(page)
    time.sleep(2)
    assert len(kernels_of(state)) == 3
    # never-connected pages: freed 3 x 5 s after their render (slow on a loaded machine)
    assert wait_for(lambda: len(kernels_of(state)) == 1, 300), log.read_text()[-3000:]
    assert get(url)[0] == 200  # room again
    assert "its page is never opened" in log.read_text(errors="replace")


@pytest.mark.slow
def test_what_the_server_sends_holds_no_traceback_or_path(
    capped: tuple[ServeState, str, Path],
) -> None:
    state, url, _ = capped
    assert wait_for(lambda: len(kernels_of(state)) == 1, 300)  # the pages before it freed
    bogus = str(uuid.uuid4())
    answers = [
        get(url + f"api/kernels/{bogus}"),
        get(url + f"voila/api/shutdown/{bogus}", method="POST"),
        get(url + "voila/files/../../etc/passwd"),
        get(url + "voila/files/history.parquet"),
        get(url + "voila/static/%2e%2e/%2e%2e/app.py"),
        get(url + "api/kernels"),
        get(url + "voila/templates/x"),
        get(url + "?template=../../.."),
    ]
    for status, body in answers:
        assert not LEAK.search(body), (status, body[:800])
        assert str(state.config.parent) not in body
    # the previous test's last page, or the page the "?template=" request drew, may still
    # hold the cap's room (freed 15 s after its render): ask again while the server says so
    page_status, page = get(url, read_for=5)
    deadline = time.monotonic() + 300
    while page_status == 503 and time.monotonic() < deadline:
        time.sleep(2)
        page_status, page = get(url, read_for=5)
    assert page_status == 200, page[:500]
    remote = re.findall(r"(?:href|src)=[\"']((?:https?:)?//[^\"']+)", page)
    assert remote == [], remote  # the page itself fetches nothing from outside


def served_by(state_dir: Path) -> list[psutil.Process]:
    """The live Voilà and kernel processes serving the dashboard prepared in ``state_dir``
    (Voilà's command line names its notebook; a kernel's environment its configuration)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(process.info["cmdline"] or [])
            if ("pipereview.dashboard.server" in line and str(state_dir) in line) or (
                "ipykernel_launcher" in line
                and process.environ().get(CONFIG_VARIABLE) == str(state_dir / "dashboard.json")
            ):
                found.append(process)
        except psutil.Error:
            pass
    return found


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_pipereview_serve_stops_voila_and_every_kernel(
    signum: int, sample_store: Path, tmp_path: Path
) -> None:
    port = free_port()
    state_dir = tmp_path / "state"
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipereview",
                "serve",
                "--store",
                str(sample_store),
                "--port",
                str(port),
                "--state-dir",
                str(state_dir),
                "--max-kernels",
                "3",
                "--pool-size",
                "1",
            ],
            env={**os.environ, **hermetic(tmp_path)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    state = SimpleNamespace(config=state_dir / "dashboard.json")
    try:
        # the per-team views are drawn before Voilà starts (about a minute for the samples)
        assert wait_for(lambda: port_open(port), 300), output.read_text(errors="replace")
        assert get(f"http://127.0.0.1:{port}/")[0] == 200  # a page's kernel
        assert wait_for(lambda: len(kernels_of(state)) == 2, 60)  # type: ignore[arg-type]
        family = psutil.Process(process.pid).children(recursive=True)
        assert len(family) >= 3  # Voilà and its two kernels
        assert len(served_by(state_dir)) == 3, served_by(state_dir)
        process.send_signal(signum)
        assert process.wait(timeout=60) == 0, output.read_text(errors="replace")
        _, alive = psutil.wait_procs(family, timeout=10)
        assert alive == [], alive
        assert served_by(state_dir) == []
        assert kernels_of(state) == []  # type: ignore[arg-type]
        assert not port_open(port), f"port {port} still accepts connections"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for leftover in served_by(state_dir):  # never leave a server behind a failed test
            leftover.kill()

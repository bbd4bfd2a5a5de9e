"""The kernels a team's notebook runs on listen where no other process can take their
address: TCP ports are picked free and released before the kernel binds them, so two
processes starting kernels at once could pick the same port and one kernel would die at
start (seen as a team run on its second attempt). On POSIX each kernel listens on Unix
sockets in a folder of its own, removed when the kernel is shut down."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from jupyter_client.blocking import BlockingKernelClient

from pipereview.delivery import _kernels
from pipereview.delivery._kernelclient import BatchKernelClient
from pipereview.delivery._kernels import kernel_address, shutdown_kernel, start_kernel

NOW = 1_800_000_000.0
posix_only = pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX only")


@posix_only
@pytest.mark.slow
def test_two_kernels_listen_on_sockets_of_their_own_and_leave_nothing_behind() -> None:
    first, second = start_kernel(), start_kernel()
    try:
        folders = set()
        for manager in (first, second):
            info = manager.get_connection_info()
            client = BlockingKernelClient()
            client.load_connection_info(info)
            client.start_channels()
            try:  # the kernel answers on its sockets
                client.wait_for_ready(timeout=60)
                reply = client.execute_interactive("6 * 7", timeout=60, store_history=False)
                assert reply["content"]["status"] == "ok"
            finally:
                client.stop_channels()
            assert info["transport"] == "ipc"
            folder = Path(str(info["ip"])).parent
            folders.add(folder)
            sockets = sorted(folder.iterdir())
            assert len(sockets) == 5  # shell, iopub, stdin, control, heartbeat
            assert all(stat.S_ISSOCK(path.stat().st_mode) for path in sockets)
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # no other user reaches them
        assert len(folders) == 2
    finally:
        shutdown_kernel(first)
        shutdown_kernel(second)
    assert not any(folder.exists() for folder in folders)


@posix_only
def test_a_kernel_address_is_a_socket_path_in_a_fresh_private_folder() -> None:
    one, other = kernel_address(), kernel_address()
    try:
        assert one["transport"] == other["transport"] == "ipc"
        assert Path(one["ip"]).parent != Path(other["ip"]).parent
        for address in (one, other):
            folder = Path(address["ip"]).parent
            assert folder.is_dir() and not any(folder.iterdir())
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            with socket.socket(socket.AF_UNIX) as listener:  # a socket fits at that path
                listener.bind(address["ip"] + "-99999")
    finally:
        for address in (one, other):
            for path in Path(address["ip"]).parent.iterdir():
                path.unlink()
            Path(address["ip"]).parent.rmdir()


def test_a_temporary_folder_too_deep_for_a_socket_path_falls_back_to_loopback_tcp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert kernel_address() == {"transport": "tcp", "ip": "127.0.0.1"}
    assert list(deep.iterdir()) == []  # the folder made for the sockets is removed again


@posix_only
def test_socket_folders_of_gone_kernels_are_removed_and_live_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    limit = _kernels.STALE_SOCKET_FOLDER_S

    def folder(name: str, *, listening: bool, age: float) -> tuple[Path, socket.socket]:
        made = tmp_path / f"pipereview-kernel-{name}"
        made.mkdir(mode=0o700)
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(made / "k-1"))
        if listening:
            server.listen()
        else:
            server.close()  # the file stays, as a killed kernel leaves it
        os.utime(made, (NOW - age, NOW - age))
        return made, server

    gone, _ = folder("gone", listening=False, age=limit + 1)
    live, server = folder("live", listening=True, age=limit + 1)
    young, _ = folder("young", listening=False, age=limit - 1)
    other = tmp_path / "somebody-else"
    other.mkdir()
    os.utime(other, (NOW - 10 * limit, NOW - 10 * limit))
    try:
        assert _kernels.remove_stale_socket_folders(now=NOW) == [gone]
        assert not gone.exists() and live.exists() and young.exists() and other.exists()
    finally:
        server.close()
    os.utime(live, (NOW - limit - 1, NOW - limit - 1))  # its kernel has stopped now
    assert _kernels.remove_stale_socket_folders(now=NOW) == [live]


@pytest.fixture
def batch_kernel() -> Iterator[tuple[Any, Any]]:
    """A started kernel and its own (batch) client, channels started, the kernel ready."""
    manager = start_kernel()
    try:
        client = manager.client()
        client.start_channels()
        asyncio.run(client.wait_for_ready(timeout=60))
        yield manager, client
    finally:
        shutdown_kernel(manager)


@posix_only
@pytest.mark.slow
class TestTheBatchClient:
    """The client nbclient drives a team's kernel with."""

    def test_is_ready_once_the_answer_came_through_and_nothing_is_left_over(
        self, batch_kernel: tuple[Any, Any]
    ) -> None:
        _, client = batch_kernel
        assert isinstance(client, BatchKernelClient)
        with pytest.raises(Empty):  # the readiness request's messages were all read
            asyncio.run(client.iopub_channel.get_msg(timeout=0.5))
        reply = asyncio.run(client.execute_interactive("6 * 7", timeout=60))
        assert reply["content"]["status"] == "ok"

    def test_says_what_jupyter_client_says_of_a_dead_or_silent_kernel(
        self, batch_kernel: tuple[Any, Any]
    ) -> None:
        """The batch retries a team whose kernel failed to start by these words."""
        manager, client = batch_kernel
        os.kill(manager.provisioner.pid, signal.SIGSTOP)  # alive, answering nothing
        with pytest.raises(RuntimeError, match="Kernel didn't respond in 2 seconds"):
            asyncio.run(client.wait_for_ready(timeout=2))
        os.kill(manager.provisioner.pid, signal.SIGKILL)
        manager.provisioner.process.wait()
        with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
            asyncio.run(client.wait_for_ready(timeout=60))

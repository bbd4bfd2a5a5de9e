"""Running code in a started kernel from a test: a blocking client connected and ready,
and what a piece of code replied and printed."""

from __future__ import annotations

from typing import Any

from jupyter_client.blocking import BlockingKernelClient


def ready_client(manager: Any) -> BlockingKernelClient:
    """A blocking client of ``manager``'s kernel, its channels started, the kernel ready
    (the caller stops its channels)."""
    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


def run_code(manager: Any, code: str, timeout: float = 60) -> tuple[dict[str, Any], list[str]]:
    """Run ``code`` in ``manager``'s kernel: the reply's content and what it printed."""
    client = ready_client(manager)
    printed: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    try:
        reply = client.execute_interactive(code, timeout=timeout, output_hook=hook)
    finally:
        client.stop_channels()
    return reply["content"], printed

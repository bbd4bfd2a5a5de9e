"""The client nbclient drives a team's kernel with: jupyter_client's asynchronous client,
ready as soon as the kernel has answered and its output channel has delivered that
answer's ``idle`` status.

jupyter_client's own ``wait_for_ready`` then listens to the output channel until it has
been silent for 0.2 s, every time: 0.2 s in which a team's kernel, already started and
warm, waits for its first cell. The ``idle`` status of the readiness request is the
last message that request causes, so once it has arrived the output channel is
connected and holds nothing older; what the kernel sends later belongs to the cells
(nbclient reads a cell's messages by the cell's request). The rest is as jupyter_client
does it: the request sent again while no reply comes, the same errors (a dead kernel,
a time limit) and the protocol version taken from the reply.

>>> [kind.__name__ for kind in BatchKernelClient.__mro__[:2]]
['BatchKernelClient', 'AsyncKernelClient']
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient

__all__: list[str] = []  # the batch's own, not the package's API

#: how long a reply, then the output channel's next message, is waited for before asking
#: again (jupyter_client's own waits)
_ASK_AGAIN_S = 1.0
_OUTPUT_S = 0.2


class BatchKernelClient(AsyncKernelClient):
    """:class:`jupyter_client.asynchronous.AsyncKernelClient`, ready without waiting for
    the output channel to fall silent."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait until the kernel answers and its output channel has delivered the answer's
        ``idle`` status; RuntimeError when the kernel dies or ``timeout`` seconds pass
        (jupyter_client's messages)."""
        limit = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            asked = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=_ASK_AGAIN_S)
            except Empty:
                reply = None
            if (
                reply is not None
                and reply["msg_type"] == "kernel_info_reply"
                and await self._idle_after(asked)
            ):
                self._handle_kernel_info_reply(reply)
                return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > limit:
                raise RuntimeError(f"Kernel didn't respond in {int(timeout or 0)} seconds")

    async def _idle_after(self, request: str) -> bool:
        """Whether the output channel delivers the ``idle`` status of ``request`` (False:
        it is not connected yet, or the kernel stopped talking; ask again)."""
        while True:
            try:
                message: dict[str, Any] = await self.iopub_channel.get_msg(timeout=_OUTPUT_S)
            except Empty:
                return False
            if (
                message["msg_type"] == "status"
                and message["parent_header"].get("msg_id") == request
                and message["content"].get("execution_state") == "idle"
            ):
                return True

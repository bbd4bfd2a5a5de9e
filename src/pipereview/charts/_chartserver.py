"""One chart engine for many kernels: vl-convert's JavaScript engine costs ~0.35 s of CPU
to start in each process that draws a chart; a batch of teams starts one, in a process
of its own, and its kernels send it their charts over a Unix socket.

The server draws exactly what a kernel would draw itself (the same vl-convert, the same
spec and Vega-Lite version), so the SVG is byte for byte the same. A kernel uses it only
when :data:`CHART_SERVER_ENV` names its socket; a server that cannot be reached, or that
says a spec failed, means the kernel draws the chart itself, so what a user sees (an
SVG, or vl-convert's own error) does not depend on the server.

Messages are a 4-byte big-endian length and that many bytes of UTF-8 JSON: ``{"spec":
…, "vl_version": …}`` in, ``{"svg": …}`` or ``{"error": …}`` out.

>>> import os
>>> svg_from_server({"mark": "point"}, "v6_4") is None or CHART_SERVER_ENV in os.environ
True
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

__all__: list[str] = []  # the batch's own, not the package's API

#: the environment variable naming the chart server's socket, set for a batch's kernels
CHART_SERVER_ENV = "PIPEREVIEW_CHART_SERVER"
# a chart bigger than this is refused by the server (the kernel then draws it itself)
_MAX_MESSAGE = 256 * 1024 * 1024
_TIMEOUT_S = 120.0
_HEADER = struct.Struct(">I")


def svg_from_server(spec: dict[str, Any], vl_version: str) -> str | None:
    """``spec`` drawn by the server named in :data:`CHART_SERVER_ENV`; None when there is
    none, it cannot be reached, it could not draw the spec, or the spec holds anything
    JSON would not carry unchanged (the server must draw exactly what was asked)."""
    path = os.environ.get(CHART_SERVER_ENV)
    if not path or not _plain(spec):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
            channel.settimeout(_TIMEOUT_S)
            channel.connect(path)
            _send(channel, {"spec": spec, "vl_version": vl_version})
            answer = _receive(channel)
    except (OSError, ValueError):
        return None
    svg = answer.get("svg") if isinstance(answer, dict) else None
    return svg if isinstance(svg, str) else None


def _plain(node: Any) -> bool:
    """Whether ``node`` comes back from JSON as it is: text keys, finite numbers, no
    tuples, no other types.

    >>> _plain({"a": [1, 2.5, None, True, "x"]}), _plain({1: "a"}), _plain([float("nan")])
    (True, False, False)
    """
    if node is None or isinstance(node, (str, bool, int)):
        return True
    if isinstance(node, float):
        return math.isfinite(node)
    if type(node) is list:
        return all(_plain(item) for item in node)
    if type(node) is dict:
        return all(type(key) is str and _plain(value) for key, value in node.items())
    return False


def _send(channel: socket.socket, message: Any) -> None:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    channel.sendall(_HEADER.pack(len(body)) + body)


def _receive(channel: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_exactly(channel, _HEADER.size))
    if size > _MAX_MESSAGE:
        raise ValueError(f"a message of {size} bytes is more than a chart needs")
    return json.loads(_exactly(channel, size).decode("utf-8"))


def _exactly(channel: socket.socket, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = channel.recv(min(left, 1 << 20))
        if not part:
            raise ValueError("the connection closed inside a message")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def serve_charts(path: str, *, warm: Callable[[], object] | None = None) -> None:
    """Draw charts for whoever connects to the Unix socket at ``path`` (in a private
    folder: only its owner can reach it), one connection per chart, until this process's
    parent ends. The socket listens first, so a kernel asking early waits rather than
    drawing the chart itself; ``warm`` is called next (a chart drawn here, so the engine
    is up before the first kernel's chart)."""
    import vl_convert

    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    engine = threading.Lock()  # one chart at a time through the one engine
    if warm is not None:
        warm()
    while os.getppid() == parent:
        try:
            channel, _ = listener.accept()
        except TimeoutError:
            continue
        threading.Thread(target=_draw, args=(channel, vl_convert, engine), daemon=True).start()
    listener.close()


def _draw(channel: socket.socket, vl_convert: Any, engine: threading.Lock) -> None:
    """Answer one kernel's chart."""
    with channel:
        channel.settimeout(_TIMEOUT_S)
        try:
            asked = _receive(channel)
            with engine:
                svg = vl_convert.vegalite_to_svg(asked["spec"], vl_version=asked["vl_version"])
            answer: dict[str, str] = {"svg": svg}
        except Exception as exc:  # the kernel draws it itself, and meets the error there
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(OSError):  # a kernel gone no longer needs its chart
            _send(channel, answer)

"""Benchmark: a sales floor opening the dashboard, next to the naive server in the same run.

    python bench/dashboard_capacity.py [--store DIR] [--pages 20] [--spread 60] [--think 2]

Ingests the sample exports into a temporary store (unless ``--store``; 4 teams, 12 weeks),
prepares the served dashboard once, then serves it twice in the same run and, each time,
opens ``--pages`` pages spread evenly over ``--spread`` seconds with a light client
(plain HTTP for the page, then the kernel websocket protocol the page's widgets speak:
the widget state is asked for as the browser's widget manager asks for it, and a
selector change is sent as the browser sends it):

- *naive*: one preheated kernel (``--pool-size 1``) and pages that load the whole keyed
  history and compute their views in their own kernel (no prepared per-team state), as
  ``pipereview serve`` did before;
- *served*: ``pipereview serve`` as it runs now: the default pool of preheated kernels
  and pages that load the prepared per-team state of the team they show.

For each page: the time from the request to its first chart (an ``<svg`` in the overview
tab's widget), queueing included; the memory its kernel adds (USS: the memory only that
process holds, i.e. what closing the page frees; PSS alongside) once loaded and after its
interactions; and, ``--think`` seconds apart once loaded, three selector changes timed
until the page's state marker shows the new selection: the week, the team, the rep.

Goals on this 2-core machine: every page's first chart within 60 s, the first two within
3 s, <= 250 MB per page, every interaction <= 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20


@dataclass
class Page:
    """What one page measured."""

    number: int
    opened: float = 0.0
    first_chart: float | None = None
    error: str = ""
    kernel: str = ""
    uss_loaded: float = 0.0
    pss_loaded: float = 0.0
    changes: dict[str, float] = field(default_factory=dict)


def _kernel_memory(kernel_id: str) -> tuple[float, float]:
    """USS and PSS (MB) of the kernel process started for ``kernel_id``."""
    import psutil  # type: ignore[import-untyped]

    for process in psutil.process_iter(["cmdline"]):
        if any(kernel_id in part for part in process.info["cmdline"] or ()):
            info = process.memory_full_info()
            return info.uss / MB, info.pss / MB
    return 0.0, 0.0


class Client:
    """One page's websocket to its kernel, speaking the Jupyter messaging protocol."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.session = uuid.uuid4().hex

    async def send(self, msg_type: str, content: dict[str, Any], **metadata: Any) -> None:
        header = {
            "msg_id": uuid.uuid4().hex,
            "username": "bench",
            "session": self.session,
            "msg_type": msg_type,
            "version": "5.3",
        }
        message = {"header": header, "parent_header": {}, "metadata": metadata}
        message.update(content=content, channel="shell", buffers=[])
        await self.socket.write_message(json.dumps(message))

    async def comm_data(self, deadline: float) -> dict[str, Any]:
        """The data of the next widget message (comm_msg) from the kernel."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no widget message from the kernel")
            raw = await asyncio.wait_for(self.socket.read_message(), left)
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            if isinstance(raw, bytes):
                continue
            message = json.loads(raw)
            if message.get("msg_type") == "comm_msg" or (
                message.get("header", {}).get("msg_type") == "comm_msg"
            ):
                data: dict[str, Any] = message["content"]["data"]
                return data


def _model(states: dict[str, Any], css: str) -> tuple[str, dict[str, Any]]:
    for model_id, model in states.items():
        if css in model["state"].get("_dom_classes", ()):
            return model_id, model["state"]
    raise LookupError(f"no widget with class {css}")


async def _change(client: Client, model_id: str, index: int, stamp: str) -> tuple[float, str]:
    """Select option ``index`` of a selector; seconds until the state marker changes from
    ``stamp``, and the new marker."""
    start = time.monotonic()
    await client.send(
        "comm_msg",
        {"comm_id": model_id, "data": {"method": "update", "state": {"index": index}}},
    )
    while True:
        data = await client.comm_data(start + 120)
        value = str(data.get("state", {}).get("value", ""))
        if "data-stamp=" in value and value != stamp:
            return time.monotonic() - start, value


async def _open_page(url: str, page: Page, think: float) -> None:
    from tornado.httpclient import AsyncHTTPClient
    from tornado.websocket import websocket_connect

    start = time.monotonic()
    response = await AsyncHTTPClient().fetch(url, request_timeout=600, raise_error=False)
    if response.code != 200:
        page.error = f"HTTP {response.code}"
        return
    found = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', response.body.decode("utf-8"))
    if found is None:
        page.error = "no kernel in the page"
        return
    page.kernel = found.group(1)
    ws = url.replace("http", "ws", 1) + f"api/kernels/{page.kernel}/channels"
    client = Client(await websocket_connect(f"{ws}?session_id={uuid.uuid4().hex}"))
    control = uuid.uuid4().hex
    content = {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}}
    await client.send("comm_open", content, version="1.0.0")
    await client.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
    data = await client.comm_data(start + 600)
    while data.get("method") != "update_states":
        data = await client.comm_data(start + 600)
    states = data["states"]
    if not any("<svg" in str(m["state"].get("value", "")) for m in states.values()):
        page.error = "no chart on the page"
        return
    page.first_chart = time.monotonic() - start
    page.uss_loaded, page.pss_loaded = _kernel_memory(page.kernel)
    stamp = _model(states, "pr-stamp")[1]["value"]
    for name in ("week", "team", "rep"):
        await asyncio.sleep(think)
        model_id, state = _model(states, f"pr-{name}")
        if len(state.get("_options_labels", ())) < 2:
            continue
        page.changes[name], stamp = await _change(client, model_id, 1, stamp)
    client.socket.close()


async def _floor(url: str, pages: int, spread: float, think: float) -> list[Page]:
    """Open ``pages`` pages evenly over ``spread`` seconds; what each measured."""
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=pages + 1)  # no queue in the client
    gap = spread / max(1, pages - 1)
    results = [Page(number, opened=number * gap) for number in range(pages)]

    async def one(page: Page) -> None:
        await asyncio.sleep(page.opened)
        try:
            await _open_page(url, page, think)
        except Exception as error:  # a page that failed is reported, not hidden
            page.error = f"{type(error).__name__}: {error}"

    await asyncio.gather(*(one(page) for page in results))
    return results


def _wait_for_pool(notebook: Path, size: int, timeout: float = 900) -> float:
    """Seconds until the server holds ``size`` preheated kernels and they are done (their
    CPU use summed below 5 % over 2 s): the pool is ready for the first page."""
    import psutil

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        servers = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(notebook) in " ".join(p.info["cmdline"] or ())
        ]
        kernels = [k for s in servers for k in s.children(recursive=True)]
        if len(kernels) >= size:
            for kernel in kernels:
                kernel.cpu_percent()
            time.sleep(2)
            if sum(k.cpu_percent() for k in kernels) < 5:
                return time.monotonic() - start
        else:
            time.sleep(1)
    raise SystemExit(f"the pool of {size} kernels was not ready in {timeout:.0f} s")


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):6.2f}  worst {max(values):6.2f}"


def _report(name: str, results: list[Page], pool: int, filled: float) -> None:
    loaded = [p for p in results if p.first_chart is not None]
    print(f"\n{name}: pool of {pool} preheated kernel(s), ready {filled:.0f} s after start")
    print(
        f"{'page':>4} {'opened s':>8} {'first chart s':>13} {'USS MB':>7} {'PSS MB':>7}  changes s"
    )
    for page in results:
        chart = f"{page.first_chart:13.2f}" if page.first_chart is not None else f"{'-':>13}"
        moves = " ".join(f"{k} {v:.2f}" for k, v in page.changes.items())
        print(
            f"{page.number + 1:4d} {page.opened:8.1f} {chart} {page.uss_loaded:7.0f} "
            f"{page.pss_loaded:7.0f}  {moves} {page.error}"
        )
    charts = [p.first_chart for p in loaded if p.first_chart is not None]
    changes = [v for p in loaded for v in p.changes.values()]
    first_two = [p.first_chart for p in results[:2]]
    print(
        f"{name}: {len(loaded)}/{len(results)} pages showed a chart; first chart "
        f"{_stats(charts)} s; first two {', '.join(f'{v:.2f}' if v else '-' for v in first_two)}"
        f" s; USS per page {_stats([p.uss_loaded for p in loaded])} MB "
        f"(PSS {_stats([p.pss_loaded for p in loaded])} MB); selector changes "
        f"{_stats(changes)} s (n={len(changes)}, {sum(v <= 0.5 for v in changes)} <= 0.5 s)"
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import describe_machine
    from pipereview.dashboard import DashboardConfig
    from pipereview.history._intake import ingest_folder
    from pipereview.serve import background_server, default_pool_size, prepare_dashboard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--only", choices=("naive", "served"))
    parser.add_argument("--pool-size", type=int, help="the served pool [default: serve's]")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    print(f"{args.pages} pages over {args.spread:.0f} s, {args.think:.0f} s between clicks")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = args.store
        if store is None:
            store = root / "store"
            ingest_folder(ROOT / "data" / "samples" / "exports", store=store)
        targets = ROOT / "data" / "samples" / "targets.csv"
        start = time.monotonic()
        state = prepare_dashboard(root / "state", store=store, targets=targets)
        print(f"prepared the per-team state in {time.monotonic() - start:.0f} s")
        naive_config = replace(DashboardConfig.read(state.config), prepared=None)
        naive = replace(state, config=naive_config.write(root / "state" / "naive.json"))
        runs = [("naive", naive, 1), ("served", state, args.pool_size or default_pool_size())]
        for name, served, pool in runs:
            if args.only and name != args.only:
                continue
            log = root / f"{name}.log"
            with background_server(
                served, log=log, pool_size=pool, max_kernels=args.pages + 4, timeout=120
            ) as url:
                filled = _wait_for_pool(served.notebook, pool)
                results = asyncio.run(_floor(url, args.pages, args.spread, args.think))
                _report(name, results, pool, filled)


if __name__ == "__main__":
    main()

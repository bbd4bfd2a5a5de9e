"""A batch's kernels draw their charts through one chart server: what it draws is byte for
byte what the kernel would draw itself, for any chart; a spec JSON would change, a server
that cannot be reached or that fails, and a process without a server all mean the chart
is drawn in the process, with vl-convert's own errors; the server ends with its parent."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import vl_convert
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _processes import ended
from pipereview.charts import to_svg
from pipereview.charts._chartserver import CHART_SERVER_ENV, svg_from_server
from pipereview.charts._render import _spec_to_svg

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX only")

_SERVE = (
    "from pipereview.charts._chartserver import serve_charts; import sys; serve_charts(sys.argv[1])"
)


def _wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if path.exists() or process.poll() is not None:
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="pipereview-test-"))
    path = folder / "charts"
    process = subprocess.Popen([sys.executable, "-c", _SERVE, str(path)])
    _wait_for(path, process)
    assert process.poll() is None, "the chart server did not start"
    yield str(path)
    process.kill()
    process.wait()
    path.unlink(missing_ok=True)
    folder.rmdir()


def _refuse(*args: object, **kwargs: object) -> str:
    raise AssertionError("drawn in this process, not by the server")


@pytest.fixture
def no_local_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing in this process fails: what comes back was drawn by the server."""
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", _refuse)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(_TEXT, min_size=1, max_size=6),
    values=st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=6, max_size=6),
    title=_TEXT,
    mark=st.sampled_from(["bar", "point", "line"]),
)
def test_the_server_draws_byte_for_byte_what_the_kernel_would(
    server: str, names: list[str], values: list[float], title: str, mark: str
) -> None:
    frame = pd.DataFrame({"rep": names, "amount": values[: len(names)]})
    chart = getattr(alt.Chart(frame), f"mark_{mark}")().encode(x="rep:N", y="amount:Q")
    chart = chart.properties(title=title or " ")
    try:
        local: str | None = to_svg(chart)
    except ValueError:  # Vega itself fails (a title "if", for one)
        local = None
    os.environ[CHART_SERVER_ENV] = server
    engine, vl_convert.vegalite_to_svg = vl_convert.vegalite_to_svg, _refuse
    try:
        served: str | None = to_svg(chart)  # drawn by the server: drawing here would fail
    except AssertionError:  # the server could not draw it: the kernel would, as above
        served = None
    finally:
        vl_convert.vegalite_to_svg = engine
        del os.environ[CHART_SERVER_ENV]
    assert served == local  # the same SVG, or a failure either way


def test_a_batch_chart_is_drawn_by_the_server_alone(
    server: str, monkeypatch: pytest.MonkeyPatch, no_local_engine: None
) -> None:
    monkeypatch.setenv(CHART_SERVER_ENV, server)
    svg = _spec_to_svg({"data": {"values": [{"a": 1}]}, "mark": "point"})
    assert svg.startswith('<svg style="max-width:100%;height:auto" ')


@pytest.mark.parametrize(
    "spec",
    [
        {"data": {"values": [{"a": float("nan")}]}, "mark": "point"},  # not JSON
        {"data": {"values": [{"a": 1}]}, "mark": "point", "usermeta": {1: "one"}},  # key
        {"data": {"values": [{"a": 1}]}, "mark": "point", "usermeta": {"t": (1, 2)}},
        {"data": {"values": [{"a": pd.Timestamp("2026-01-01")}]}, "mark": "point"},
    ],
    ids=["nan", "number-key", "tuple", "timestamp"],
)
def test_a_spec_json_would_change_never_reaches_the_server(
    server: str, monkeypatch: pytest.MonkeyPatch, spec: dict[str, object]
) -> None:
    monkeypatch.setenv(CHART_SERVER_ENV, server)
    assert svg_from_server(spec, "v6_4") is None


def test_no_server_or_a_gone_one_means_the_chart_is_drawn_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chart = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q")
    local = to_svg(chart)
    monkeypatch.setenv(CHART_SERVER_ENV, str(tmp_path / "no-such-socket"))
    assert svg_from_server(chart.to_dict(validate=False), "v6_4") is None
    assert to_svg(chart) == local


def test_a_spec_the_engine_rejects_fails_with_the_engines_own_error(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"data": {"values": [{"a": 1}]}, "mark": "no-such-mark"}
    with pytest.raises(ValueError, match="conversion failed") as alone:
        _spec_to_svg(broken)
    monkeypatch.setenv(CHART_SERVER_ENV, server)
    assert svg_from_server(broken, "v6_4") is None  # the server says it failed
    with pytest.raises(ValueError, match="conversion failed") as served:
        _spec_to_svg(broken)
    assert str(served.value) == str(alone.value)


_PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    path = Path(sys.argv[1])
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], str(path)])
    while not path.exists():
        time.sleep(0.05)
    print(child.pid, flush=True)
    """
)


def test_the_server_ends_with_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "charts"
    done = subprocess.run(
        [sys.executable, "-c", _PARENT, str(path), _SERVE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended(int(done.stdout.split()[-1]), 10)  # it checks its parent every second

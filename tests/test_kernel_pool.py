"""The batch's kernels started ahead: each has imported the review's heavy modules before
a team's notebook starts on it (what the notebook's first cell would otherwise pay, ~3 s
of imports and ~1.3 s for vl-convert's first chart), leaves no name, output or execution
count behind, and serves one team only; modules a section does not need stay unimported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _kernelcode import run_code
from pipereview.delivery._kernels import WARM_MODULES, KernelPool, shutdown_kernel

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

_PROBE = (
    "import json, os, sys\n"
    "print(json.dumps({'pid': os.getpid(), 'modules': sorted(m for m in %r if m in sys.modules),"
    " 'left': sorted(n for n in globals() if 'warm' in n)}))"
)


def _probe(manager: Any) -> dict[str, Any]:
    """What the kernel holds: its pid, which of WARM_MODULES it imported, names left over,
    and the execution count of this first request from a client."""
    reply, printed = run_code(manager, _PROBE % (WARM_MODULES,))
    found: dict[str, Any] = json.loads("".join(printed))
    found["count"] = reply["execution_count"]
    return found


def test_a_pool_kernel_has_the_heavy_modules_imported_and_serves_one_team_only() -> None:
    pool = KernelPool(3, ahead=2)
    taken = [pool.take() for _ in range(3)]  # the third started when the first was taken
    try:
        assert all(manager is not None for manager in taken)
        found = [_probe(manager) for manager in taken]
    finally:
        for manager in taken:
            shutdown_kernel(manager)
        pool.close()
    assert len({id(manager) for manager in taken}) == 3
    assert len({kernel["pid"] for kernel in found}) == 3  # three processes, none shared
    assert os.getpid() not in {kernel["pid"] for kernel in found}
    for kernel in found:
        assert kernel["modules"] == sorted(WARM_MODULES)
        assert kernel["left"] == []  # the warm-up's function deleted
        assert kernel["count"] == 1  # the notebook's first cell is still [1]


def test_a_kernel_not_warmed_has_imported_nothing_of_the_review() -> None:
    pool = KernelPool(1, ahead=1, warm=False)
    manager = pool.take()
    try:
        found = _probe(manager)
    finally:
        shutdown_kernel(manager)
        pool.close()
    assert "pipereview" not in found["modules"]
    assert "vl_convert" not in found["modules"]


_SECTIONS = """\
import json, sys
from pipereview import WeeklyReview
from pipereview.charts import enable_offline
enable_offline()
review = WeeklyReview.from_files(team="West", week="2026-W47", exports=sys.argv[1])
seen = {}
for section in ("headline_section", "coaching_section"):
    getattr(review, section)()
    seen[section] = sorted(m for m in ("scipy.stats", "vl_convert") if m in sys.modules)
print(json.dumps(seen))
"""


def test_no_section_imports_scipys_statistics_and_the_headline_no_chart_engine() -> None:
    """The headline needs neither scipy's statistics (0.6-2 s to import) nor vl-convert;
    the coaching section's rules test rates with the package's own Fisher test
    (:func:`pipereview.core._exacttest.fisher_one_sided`), so scipy's statistics are
    never imported for a review."""
    done = subprocess.run(
        [sys.executable, "-c", _SECTIONS, str(ROOT / "data" / "samples" / "exports")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["headline_section"] == []
    assert "scipy.stats" not in seen["coaching_section"]

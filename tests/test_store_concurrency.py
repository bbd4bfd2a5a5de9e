"""Real concurrent processes ingesting one week: never two "stored" for one week, never a
team lost with --add, the week always a valid complete file.

Two ways: processes that meet at a rendezvous after reading their export (so both have
passed the "is the week stored?" check before either writes: the race the lock and the
compare-and-swap must settle), and plain ``pipereview ingest`` commands started together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipereview.history._store import SnapshotStore
from pipereview.history._verify import verify_store

pytestmark = pytest.mark.slow

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "samples" / "exports" / "2026-W47"
NORTH, WEST = EXPORTS / "north.csv", EXPORTS / "west.csv"
ROWS = {"North": 314, "West": 240}  # deals in each sample export (`pipereview ingest` says)
WEEK = "2026-W47"
ROUNDS = 5

# Each racer runs every race in turn: race i ingests its export i into store i, meeting
# the other racers (a file each under meet/i) after reading and before writing.
RACER = """
import importlib, json, pathlib, sys, time
iw = importlib.import_module("pipereview.history._intake")
from pipereview.core._errors import PipereviewError
name, races = sys.argv[1], json.loads(sys.argv[2])
read = iw.read_export
def racing(meet, count):
    def read_then_meet(*args, **kwargs):
        result = read(*args, **kwargs)
        (meet / name).touch()
        deadline = time.time() + 120
        while len(list(meet.iterdir())) < count and time.time() < deadline:
            time.sleep(0.005)
        return result
    return read_then_meet
for race in races:
    meet = pathlib.Path(race["meet"])
    meet.mkdir(parents=True, exist_ok=True)
    iw.read_export = racing(meet, race["count"])
    try:
        outcome = iw.ingest_week([race["export"]], week=race["week"], store=race["store"],
                                 add=race["add"])
        print(json.dumps(["stored", ",".join(outcome.teams)]), flush=True)
    except PipereviewError as exc:
        print(json.dumps(["refused", type(exc).__name__ + ": " + exc.message]), flush=True)
"""

#: (name, each racer's export, --add?, expected: stored count, teams in the week, refusal)
RACES = [
    ("same team", [NORTH, NORTH], False, 1, {"North"}, "by another writer"),
    ("two teams", [NORTH, WEST], False, 1, None, "by another writer"),
    ("two teams --add", [NORTH, WEST], True, 2, {"North", "West"}, ""),
    ("same team --add", [NORTH, NORTH], True, 1, {"North"}, "holds team(s) North already"),
]


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _race(commands: list[list[str]]) -> list[tuple[int, str]]:
    running = [_start(c) for c in commands]
    outcomes = []
    for process in running:
        stdout, stderr = process.communicate(timeout=600)
        assert "Traceback" not in stderr and "internal error" not in stderr, stderr
        outcomes.append((process.returncode, stdout + stderr))
    return outcomes


def _check_week(store: Path, teams: set[str]) -> None:
    """The week is a whole, valid file holding exactly ``teams``, every deal of each."""
    frame = SnapshotStore(store).read(WEEK)
    assert frame.groupby("team").size().to_dict() == {t: ROWS[t] for t in teams}
    check = verify_store(store)
    assert check.ok, [str(f) for f in check.problems]
    assert check.weeks == [WEEK]


def test_racing_writers_of_one_week(tmp_path: Path) -> None:
    """Two processes, every race of :data:`RACES` ``ROUNDS`` times: both have read their
    export and found the week not stored before either writes."""
    plan = [
        (f"{name} #{n}", exports, add, stored, teams, refusal)
        for n in range(ROUNDS)
        for name, exports, add, stored, teams, refusal in RACES
    ]
    races = [
        [
            {
                "meet": str(tmp_path / "meet" / str(i)),
                "count": 2,
                "export": str(exports[r]),
                "week": WEEK,
                "store": str(tmp_path / "store" / str(i)),
                "add": add,
            }
            for i, (_, exports, add, *_rest) in enumerate(plan)
        ]
        for r in range(2)
    ]
    outcomes = _race(
        [[sys.executable, "-c", RACER, f"racer{r}", json.dumps(races[r])] for r in range(2)]
    )
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    lines = [
        [json.loads(line) for line in text.splitlines() if line.startswith("[")]
        for _, text in outcomes
    ]
    assert [len(done) for done in lines] == [len(plan), len(plan)], outcomes
    for i, (name, _, _, stored, teams, refusal) in enumerate(plan):
        results = [lines[0][i], lines[1][i]]
        said = [what for what, _ in results]
        assert said.count("stored") == stored, (name, results)
        assert all(refusal in text for what, text in results if what == "refused"), (name, results)
        winner = {t for what, text in results if what == "stored" for t in text.split(",")}
        _check_week(tmp_path / "store" / str(i), teams or winner)


@pytest.mark.parametrize(
    ("exports", "flags", "stored_teams"),
    [
        ([NORTH, NORTH, NORTH], [], {"North"}),
        ([NORTH, WEST], ["--add"], {"North", "West"}),
    ],
)
def test_cli_ingests_started_together(
    tmp_path: Path, exports: list[Path], flags: list[str], stored_teams: set[str]
) -> None:
    """Plain `pipereview ingest` commands started together (two cron jobs)."""
    store = tmp_path / "store"
    outcomes = _race(
        [
            [
                sys.executable,
                "-m",
                "pipereview",
                "ingest",
                str(export),
                "--week",
                WEEK,
                "--store",
                str(store),
                *flags,
            ]
            for export in exports
        ]
    )
    stored = [text for code, text in outcomes if code == 0]
    assert all(code in (0, 1) for code, _ in outcomes), outcomes
    assert all("stored" in text for text in stored)
    if flags:
        assert len(stored) == len(exports), outcomes
    else:
        assert len(stored) == 1, outcomes  # never two "stored" for one week
        assert all(
            "already stored" in t or "by another writer" in t for code, t in outcomes if code
        ), outcomes
    _check_week(store, stored_teams)

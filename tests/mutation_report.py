"""The mutation score of the core, from the results of ``mutmut run`` (``make mutate``).

Reads ``mutmut results --all true`` in the project folder, leaves out the mutants listed
in ``tests/mutation_equivalent.txt`` (each with the reason it cannot change behaviour),
and prints, per area and in all: mutants, killed (a test failed), survived (every test
passed), no tests (no test reaches the code) and the score, killed / (killed + survived +
no tests). A mutant mutmut stopped at its time limit counts by the verdict
``tests/mutation_rejudge.py`` gave it when run again without a clock (a busy machine stops
survivors too); one not yet judged again counts as survived, so the score is never raised
by a clock. Writes each survivor's diff to ``mutants/survivors.md``.

    python tests/mutation_report.py            # after make mutate
    python tests/mutation_report.py --min 90   # exit 1 below a 90% score
    python tests/mutation_report.py --sample mutants/sample.txt   # a drawn sample's score

With ``--sample`` only the mutants named in the file count (``tests/mutation_sample.py``
draws them), and the score is printed with its 95% (Wilson) interval: the range in which
the score of every mutant lies, short of a 1 in 20 chance.
"""

from __future__ import annotations

import argparse
import collections
import math
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "mutation_equivalent.txt"
KILLED = {"killed"}
MISSED = {"survived", "no tests"}
AREAS = ("ingest", "history", "diagnostics", "coaching")


def results(mutmut: str) -> dict[str, str]:
    """Each mutant's status, by name."""
    out = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_results(out)


def parse_results(text: str) -> dict[str, str]:
    r"""``{mutant: status}`` from the text ``mutmut results --all true`` prints.

    >>> parse_results("    pipereview.ingest._rowkind.x_skipped_rows__mutmut_3: survived\n")
    {'pipereview.ingest._rowkind.x_skipped_rows__mutmut_3': 'survived'}
    """
    found = {}
    for line in text.splitlines():
        match = re.match(r"\s+(pipereview\.\S+): (.+)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def equivalent() -> dict[str, str]:
    """The mutants that cannot change behaviour, with the reason (``name  # reason``)."""
    if not EQUIVALENT.exists():
        return {}
    listed = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            listed[name.strip()] = reason.strip()
    return listed


def wilson(killed: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% interval of a score measured on a random sample, in percent.

    >>> [round(x, 1) for x in wilson(90, 100)]
    [82.6, 94.5]
    >>> wilson(0, 0)
    (0.0, 100.0)
    """
    if not judged:
        return (0.0, 100.0)
    p = killed / judged
    centre = (p + z * z / (2 * judged)) / (1 + z * z / judged)
    half = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged))
    half /= 1 + z * z / judged
    return (100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half))


def area(name: str) -> str:
    """``ingest`` for ``pipereview.ingest._builder.x_read__mutmut_3``."""
    return name.split(".")[1]


def unjudged_stops(status: dict[str, str], rejudged: dict[str, str]) -> list[str]:
    """Replace each stopped mutant's ``timeout`` in ``status`` by its verdict judged again
    (``survived`` when not judged again yet); return the names not judged again.

    >>> status = {"a": "timeout", "b": "timeout", "c": "killed"}
    >>> unjudged_stops(status, {"a": "killed"}), status
    (['b'], {'a': 'killed', 'b': 'survived', 'c': 'killed'})
    """
    waiting = []
    for name, verdict in status.items():
        if verdict == "timeout":
            status[name] = rejudged.get(name, "survived")
            if name not in rejudged:
                waiting.append(name)
    return sorted(waiting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=None, help="lowest passing score, %%")
    parser.add_argument("--mutmut", default=str(Path(sys.executable).parent / "mutmut"))
    parser.add_argument("--sample", type=Path, default=None, help="count only these mutants")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation_rejudge import read_rejudged

    status = results(args.mutmut)
    same = equivalent()
    stale = sorted(set(same) - set(status))
    if args.sample is not None:
        drawn = set(args.sample.read_text(encoding="utf-8").split())
        status = {name: verdict for name, verdict in status.items() if name in drawn}
    stopped = unjudged_stops(status, read_rejudged())
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    missed = []
    for name, verdict in sorted(status.items()):
        if name in same or verdict in ("not checked", "skipped"):
            continue
        kind = "killed" if verdict in KILLED else verdict if verdict in MISSED else "other"
        counts[area(name)][kind] += 1
        counts["all"][kind] += 1
        if verdict in MISSED:
            missed.append(name)
    print(f"mutation score of the core ({platform.node()}, Python {platform.python_version()})")
    print(f"{'area':<12}{'mutants':>9}{'killed':>9}{'survived':>10}{'no tests':>10}{'score':>8}")
    score = 0.0
    for key in (*AREAS, "all"):
        c = counts.get(key)
        if not c:
            continue
        judged = c["killed"] + c["survived"] + c["no tests"]
        score = 100.0 * c["killed"] / judged if judged else 100.0
        low, high = wilson(c["killed"], judged)
        margin = f"  (95%: {low:.1f}-{high:.1f}%)" if args.sample is not None else ""
        print(
            f"{key:<12}{sum(c.values()):>9}{c['killed']:>9}{c['survived']:>10}"
            f"{c['no tests']:>10}{score:>7.1f}%{margin}"
        )
    print(f"left out as equivalent: {len(same) - len(stale)} (tests/mutation_equivalent.txt)")
    if stopped:
        print(
            f"stopped at the time limit and not yet judged again (counted as survived): "
            f"{len(stopped)}; run python tests/mutation_rejudge.py"
        )
    if stale:
        print(f"listed as equivalent but no longer generated: {len(stale)}, e.g. {stale[0]}")
    _write_survivors(args.mutmut, missed)
    if args.min is not None and score < args.min:
        print(f"score {score:.1f}% is below {args.min:.1f}%")
        return 1
    return 0


def _write_survivors(mutmut: str, names: list[str]) -> None:
    target = ROOT / "mutants" / "survivors.md"
    parts = [f"# {len(names)} mutants no test caught\n"]
    for name in names:
        diff = subprocess.run(
            [mutmut, "show", name], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout
        changed = [line for line in diff.splitlines() if re.match(r"[-+](?![-+])", line)]
        parts.append(f"## {name}\n```diff\n" + "\n".join(changed) + "\n```\n")
    target.parent.mkdir(exist_ok=True)
    target.write_text("\n".join(parts), encoding="utf-8")
    print(f"survivors and their diffs: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

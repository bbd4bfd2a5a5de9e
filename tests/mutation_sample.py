"""Judge a random sample of the core's mutants, for a score with its margin in well under an hour.

Every mutant of the core takes hours of a 2-core machine to judge (docs/testing.md). A
uniform random sample of them, drawn with a fixed seed, gives the same score within a
stated margin: ``make mutate SAMPLE=400`` draws 400 mutants from every mutant ``mutmut``
generated (leaving out those listed as equivalent), writes their names to
``mutants/sample.txt``, judges them with ``mutmut run`` and prints the score of the sample
with its 95% interval (``tests/mutation_report.py --sample``).

    python tests/mutation_sample.py --size 400 --seed 2026
    python tests/mutation_report.py --sample mutants/sample.txt
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
SAMPLE = MUTANTS / "sample.txt"
GENERATE_ONLY = "pipereview.core._compare.x_no_such_function__mutmut_0"


def generated(folder: Path = MUTANTS) -> list[str]:
    """Every mutant's name, from the ``.meta`` files ``mutmut`` writes beside each module.

    >>> generated(Path("/no/such/folder"))
    []
    """
    names: set[str] = set()
    for meta in folder.glob("src/**/*.py.meta"):
        names.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return sorted(names)


def draw(names: list[str], size: int, seed: int, leave_out: set[str]) -> list[str]:
    """``size`` names drawn uniformly without replacement, the same for the same seed.

    >>> draw(["a", "b", "c", "d"], 2, seed=1, leave_out={"c"})
    ['a', 'd']
    >>> draw(["a", "b"], 5, seed=1, leave_out=set())
    ['a', 'b']
    """
    pool = [name for name in names if name not in leave_out]
    return sorted(random.Random(seed).sample(pool, min(size, len(pool))))


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation_report import equivalent

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400, help="mutants to judge")
    parser.add_argument("--seed", type=int, default=2026, help="the draw's seed")
    parser.add_argument("--mutmut", default=str(Path(sys.executable).parent / "mutmut"))
    parser.add_argument("--children", default="2", help="mutants judged at once")
    args = parser.parse_args(argv)
    # mutmut generates every mutant of the code as it is now (and maps tests to functions)
    # before it runs any; a name that matches nothing makes it stop there (refusing the
    # name), so the draw is made from today's mutants
    subprocess.run([args.mutmut, "run", GENERATE_ONLY], cwd=ROOT, check=False)
    (MUTANTS / "rejudged.txt").unlink(missing_ok=True)  # verdicts of the code as it was
    names = generated()
    if not names:
        print("mutmut generated no mutant: see its output above", file=sys.stderr)
        return 1
    chosen = draw(names, args.size, args.seed, set(equivalent()))
    SAMPLE.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    print(f"{len(chosen)} of {len(names)} mutants drawn (seed {args.seed}): {SAMPLE}")
    run = subprocess.run(
        [args.mutmut, "run", "--max-children", args.children, *chosen], cwd=ROOT, check=False
    )
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())

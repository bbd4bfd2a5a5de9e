"""Judge again, without a clock, every mutant ``mutmut`` stopped at its time limit.

``mutmut`` stops a mutant's tests after a wall-clock limit (``timeout_constant`` and
``timeout_multiplier`` in pyproject.toml) and counts it as caught, since a mutant that
loops forever must be stopped somehow. On a machine busy with other work, a mutant that
no test catches runs all of its tests, slower than the limit allows, and is stopped too:
counted as caught, it would raise the score (a run of the core on a machine at load 10
had 34 mutants stopped, and 4 of the first 5 judged again had survived). So every
stopped mutant is run again here, its tests (mutmut's own map of which tests reach the
mutated function) with the mutant switched on and no limit but an hour, and the verdict
is written to ``mutants/rejudged.txt``, which ``tests/mutation_report.py`` reads: a
stopped mutant counts as caught only when a test failed here.

    python tests/mutation_rejudge.py                        # every stopped mutant
    python tests/mutation_rejudge.py --sample mutants/sample.txt
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
REJUDGED = MUTANTS / "rejudged.txt"
#: the exit codes mutmut records as "timeout" (its own table: SIGXCPU and its shell forms)
STOPPED = {36, -24, 24, 152, 255}


def exit_codes(folder: Path = MUTANTS) -> dict[str, int | None]:
    """Each mutant's recorded exit code, from the ``.meta`` files beside the modules.

    >>> exit_codes(Path("/no/such/folder"))
    {}
    """
    codes: dict[str, int | None] = {}
    for meta in folder.glob("src/**/*.py.meta"):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


def read_rejudged(path: Path = REJUDGED) -> dict[str, str]:
    r"""``{mutant: "killed" | "survived"}`` from the file this script writes.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "rejudged.txt"
    >>> _ = p.write_text("a.x_f__mutmut_1\tsurvived\t31 s\nb.x_g__mutmut_2\tkilled\t4 s\n")
    >>> read_rejudged(p)
    {'a.x_f__mutmut_1': 'survived', 'b.x_g__mutmut_2': 'killed'}
    >>> read_rejudged(Path("/no/such/file"))
    {}
    """
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, verdict, *_ = line.split("\t")
        found[name] = verdict
    return found


def mapped_tests(name: str, stats: dict[str, list[str]]) -> list[str]:
    """The tests mutmut found reaching the function ``name`` mutates.

    >>> mapped_tests("p.m.x_f__mutmut_3", {"p.m.x_f": ["tests/t.py::b", "tests/t.py::a"]})
    ['tests/t.py::a', 'tests/t.py::b']
    """
    return sorted(stats.get(name.rsplit("__mutmut_", 1)[0], []))


def judge(name: str, tests: list[str]) -> str:
    """``killed`` when a test fails with the mutant switched on, else ``survived``."""
    env = dict(
        os.environ,
        MUTANT_UNDER_TEST=name,
        PYTHONPATH=f"{MUTANTS / 'src'}{os.pathsep}{MUTANTS / 'tests'}",
    )
    options = [
        *("-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist"),
        *("-m", "not slow and not serial and not sample_data"),
        *("-o", "addopts=-p pipereview._startup --strict-markers --import-mode=importlib"),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *tests],
        cwd=MUTANTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    return "survived" if run.returncode == 0 else "killed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=None, help="only these mutants")
    args = parser.parse_args(argv)
    codes = exit_codes()
    if args.sample is not None:
        drawn = set(args.sample.read_text(encoding="utf-8").split())
        codes = {name: code for name, code in codes.items() if name in drawn}
    done = read_rejudged()
    stopped = sorted(n for n, code in codes.items() if code in STOPPED and n not in done)
    stats = json.loads((MUTANTS / "mutmut-stats.json").read_text(encoding="utf-8"))
    by_function = stats["tests_by_mangled_function_name"]
    print(f"{len(stopped)} mutants stopped at their time limit, judged again", flush=True)
    with REJUDGED.open("a", encoding="utf-8") as out:
        for name in stopped:
            start = time.monotonic()
            verdict = judge(name, mapped_tests(name, by_function))
            line = f"{name}\t{verdict}\t{time.monotonic() - start:.0f} s"
            out.write(line + "\n")
            out.flush()
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

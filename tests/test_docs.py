"""Every page of ``docs/`` is checked block by block, so the docs cannot drift from the code.

Each page runs in a sandbox folder of its own that stands for the working folder
``/srv/pipereview`` of the weekly job (absolute paths under it point into the sandbox,
and paths printed inside the sandbox read ``/srv/pipereview/...``). The sandbox holds:

- ``data/``: the repository's data (sample exports, targets, teams);
- ``exports/``: the sample exports, one folder per week (``exports/2026-W47/north.csv``);
- ``targets.csv``: the sample targets; ``notebooks/``: the repository's notebooks;
- ``demo-output/store``: the store ``make demo`` builds, every sample week (examples on
  the sample data use it);
- ``pipereview-data/``: the default store of the weekly job, the same weeks. A page that
  ingests a week itself starts from an earlier store with the directive
  ``<!-- docs-test: store-until=2026-W46 -->``.

Every fenced block needs a language that has a rule here (a block without one fails).
Files shown with ``title=PATH`` are written into the sandbox before the page runs; then
the blocks are checked in page order:

- ``python``: run in one namespace per page (a block of ``>>>`` examples as a doctest);
  a ``text`` block right after it is what it must print. With ``title=`` the block is a
  file: written and compiled, not run.
- ``bash`` / ``sh``: every line is a command; ``console``: lines starting with ``$ `` are
  commands, the lines after one are its output (``...`` matches any text, as in
  doctest). A ``text`` block right after either is the output of the block's last
  command. In both, ``pipereview ...`` is first parsed by the real command line (an option
  that does not exist fails) and then run in the sandbox through the CLI, expected to
  exit 0, or 1 when the output shown holds an ``error:`` line. Not run: ``pipereview
  serve`` starts no server, it runs with ``--prepare-only`` instead (the store, team
  and files it names are still checked); ``pipereview run`` without ``--teams`` runs one
  team (``--teams North``: one notebook takes ~20 s, four ~55 s); ``pipereview demo``
  and ``pipereview sample`` are parsed only. ``$(date ...)`` stands for the week
  2026-W47. Other commands are checked where it means something: ``make`` targets exist,
  ``pip install`` extras exist, ``python -m`` modules and ``python`` scripts exist,
  ``systemctl`` names a unit shown on the page, and a crontab line has five valid time
  fields, escapes every ``%`` and holds commands that parse.
- ``yaml``: loaded by the loader of what it is (stage model, column map, coaching
  settings); a titled file of another kind must be used by the page.
- ``ini``: a systemd unit when its title ends ``.service`` or ``.timer`` (the sections a
  unit needs, ``ExecStart`` commands that parse, no shell syntax without a shell, ``%``
  escaped, ``OnCalendar`` valid, the timer's service shown); else parsed as INI.
- ``nginx``: balanced braces, directives ended by ``;``, and a ``proxy_pass`` to the port
  and prefix of a ``pipereview serve`` command of the page.
- ``json``: valid; with ``excerpt=PATH``, a part of the file the page made by then (every
  key and list item shown is there, with equal values; times, durations, paths and
  hashes only of the same type).
- ``jinja`` (compiled), ``toml``, ``csv``: parsed. ``text``: free (a diagram, a sample)
  unless it follows a block whose output it is.

A page that cannot be fixed at once lists its problems in ``KNOWN_PROBLEMS`` (with the
fix); the test fails when a listed problem no longer occurs, so the list stays current.
"""

from __future__ import annotations

import configparser
import contextlib
import doctest
import glob
import importlib.util
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Pages generated from the code, and the test that keeps each current.
GENERATED = {"cli.md": "test_cli_reference_is_current"}
#: Problems of pages whose fix is pending, as {page: {part of the problem: the fix}}.
KNOWN_PROBLEMS: dict[str, dict[str, str]] = {}
WORKDIR = "/srv/pipereview"  # what the sandbox stands for
WEEK = "2026-W47"  # the latest sample week; what `$(date +%G-W%V)` stands for
ONE_TEAM = "North"
LANGUAGES = {
    "python",
    "text",
    "bash",
    "sh",
    "console",
    "yaml",
    "toml",
    "ini",
    "jinja",
    "nginx",
    "json",
    "csv",
}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Batch runs of this session by command and inputs: a page running the same command on
#: the same inputs gets a copy of the reports (a team's notebook takes ~20 s).
RUNS: dict[str, tuple[Path, str, int]] = {}


# -- reading a page -------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    lang: str
    attrs: dict[str, str]
    code: str
    line: int  # of the opening fence, 1-based

    @property
    def title(self) -> str:
        return self.attrs.get("title", "")

    def where(self, page: str) -> str:
        return f"{page}:{self.line} ({self.lang or 'no language'})"


OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, in order: language, ``key=value`` attributes
    (``title=...``), code (with its final newline) and line."""
    lines = page.read_text(encoding="utf-8").split("\n")
    found, i = [], 0
    while i < len(lines):
        opening = OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].split()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        assert j < len(lines), f"{page.name}:{i + 1}: the block is never closed"
        body = [line.removeprefix(indent) for line in lines[i + 1 : j]]
        lang = info[0] if info and "=" not in info[0] else ""
        attrs = dict(word.split("=", 1) for word in info if "=" in word)
        found.append(Block(lang, attrs, "".join(f"{line}\n" for line in body), i + 1))
        i = j + 1
    return found


def directives(page: Path) -> dict[str, str]:
    """``<!-- docs-test: key=value ... -->`` settings of a page."""
    text = page.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for words in re.findall(r"<!--\s*docs-test:(.*?)-->", text, re.S):
        found.update(word.split("=", 1) for word in words.split())
    return found


# -- the sandbox ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def stores(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample store, and stores holding its weeks up to an earlier week (by week)."""
    made: dict[str, Path] = {"": sample_store}
    for name in sorted(p.name for p in DOCS.glob("*.md")):
        until = directives(DOCS / name).get("store-until")
        if until and until not in made:
            root = tmp_path_factory.mktemp(f"store-until-{until}") / "store"
            shutil.copytree(sample_store, root)
            for snapshot in (root / "snapshots").glob("*.parquet"):
                if snapshot.stem > until:
                    snapshot.unlink()
            made[until] = root
    return made


def make_sandbox(root: Path, stores: dict[str, Path], settings: dict[str, str]) -> Path:
    (root / "data").symlink_to(ROOT / "data")
    (root / "exports").mkdir()
    for week in (ROOT / "data" / "samples" / "exports").iterdir():
        (root / "exports" / week.name).symlink_to(week)
    # a copy: what a page writes into notebooks/ never lands in the repository
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copy(ROOT / "data" / "samples" / "targets.csv", root / "targets.csv")
    shutil.copytree(stores[""], root / "demo-output" / "store")
    shutil.copytree(stores[settings.get("store-until", "")], root / "pipereview-data")
    return root


@contextlib.contextmanager
def registries_kept() -> Iterator[None]:
    """Whatever a page registers (rules, charts, maps, models) is forgotten after it."""
    from pipereview.core._registry import Registry

    found = {
        id(value): value
        for module in list(sys.modules.values())
        if module is not None and module.__name__.startswith("pipereview")
        for value in list(vars(module).values())
        if isinstance(value, Registry)
    }
    kept = {key: (dict(reg._entries), dict(reg._sources)) for key, reg in found.items()}
    try:
        yield
    finally:
        for key, reg in found.items():
            reg._entries.clear()
            reg._entries.update(kept[key][0])
            reg._sources.clear()
            reg._sources.update(kept[key][1])


# -- comparing output -----------------------------------------------------------------
def shown_paths(text: str, sandbox: Path) -> str:
    """Output as the docs show it: sandbox paths as /srv/pipereview, no trailing spaces."""
    for path in {str(sandbox.resolve()), str(sandbox)}:
        text = text.replace(path, WORKDIR)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")) + "\n"


def same_output(expected: str, got: str) -> bool:
    """Exactly equal, or equal with doctest's ``...`` (any text) and whitespace rules."""
    if expected == got:
        return True
    return doctest.OutputChecker().check_output(expected, got, FLAGS)


def diff(expected: str, got: str) -> str:
    return f"\n--- shown\n{expected}--- printed\n{got}"


VOLATILE = {"created_at", "duration_s", "path", "sha256", "fingerprint"}


def excerpt_of(whole: Any, part: Any, key: str = "") -> str:
    """Where ``part`` is not a part of ``whole`` ("" when it is)."""
    if key in VOLATILE:
        same = (isinstance(part, int | float) and isinstance(whole, int | float)) or type(
            part
        ) is type(whole)
        return "" if same else f"{key}: {type(whole).__name__}, not {type(part).__name__}"
    if isinstance(part, dict):
        if not isinstance(whole, dict):
            return f"{key or 'top'}: not an object"
        for name, value in part.items():
            if name not in whole:
                return f"{key}.{name}: not in the file"
            if problem := excerpt_of(whole[name], value, name):
                return problem
        return ""
    if isinstance(part, list):
        if not isinstance(whole, list):
            return f"{key}: not a list"
        for item in part:
            if all(excerpt_of(candidate, item, key) for candidate in whole):
                return f"{key}: no item like {json.dumps(item, ensure_ascii=False)[:200]}"
        return ""
    return "" if part == whole else f"{key}: {whole!r} in the file, {part!r} shown"


# -- shell lines ----------------------------------------------------------------------
SUBSTITUTION = re.compile(r"\$\((?:[^()]|\([^()]*\))*\)")
SEPARATORS = {"&&", "||", ";", "|", "&"}
REDIRECTS = {">", ">>", "<", ">&", "2>", "&>"}
CRON_NAMES = {
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "sun",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
}
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?|[a-z]{3}(-[a-z]{3})?)(/\d+)?$", re.I)
CRON_SPECIAL = re.compile(r"^@(reboot|yearly|annually|monthly|weekly|daily|hourly)\s+(.+)$")


def logical_lines(code: str) -> list[str]:
    """Lines with ``\\`` continuations joined; blank and comment lines left out."""
    joined = re.sub(r"\\\n[ \t]*", " ", code)
    return [
        line.strip()
        for line in joined.split("\n")
        if line.strip() and not line.strip().startswith("#")
    ]


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line: argument lists, separators and redirections
    dropped, ``$(...)`` replaced (``$(date ...)`` by the week)."""
    line = SUBSTITUTION.sub(lambda m: WEEK if "date" in m.group() else "SUBSTITUTED", line)
    line = re.sub(r"\s\d?>&\d", " ", line)  # 2>&1
    line = re.sub(r"\s\d>", " >", line)  # 2> file
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    skip = False
    for token in lexer:
        if skip:
            skip = False
        elif token in SEPARATORS:
            commands.append([])
        elif token in REDIRECTS:
            skip = True
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def cron_entry(line: str) -> tuple[list[str], str] | None:
    """(time fields, command) when ``line`` is a crontab entry."""
    special = CRON_SPECIAL.match(line)
    if special:
        return [special[1]], special[2]
    parts = line.split(None, 5)
    if (
        len(parts) == 6
        and all(CRON_FIELD.match(f) for p in parts[:5] for f in p.split(","))
        and re.match(r"^[\d*]", parts[0])
    ):
        return parts[:5], parts[5]
    return None


def cron_problems(fields: list[str], command: str) -> list[str]:
    problems = []
    for value, (low, high) in zip(fields, CRON_RANGES, strict=False):
        for part in value.split(","):
            bounds = re.split(r"[-/]", part.split("/")[0])
            for bound in bounds:
                if bound.isdigit() and not low <= int(bound) <= high:
                    problems.append(f"crontab field {value!r} outside {low}-{high}")
                elif bound.isalpha() and bound.lower() not in CRON_NAMES and bound != "*":
                    problems.append(f"crontab field {value!r}: unknown name {bound!r}")
    if re.search(r"(?<!\\)%", command):
        problems.append("cron turns an unescaped % into a new line: write \\%")
    return problems


def pipereview_args(argv: list[str]) -> list[str] | None:
    """The arguments after ``pipereview`` (or ``python -m pipereview``), else None."""
    program = Path(argv[0]).name
    if program == "pipereview":
        return argv[1:]
    if program.startswith("python") and argv[1:3] == ["-m", "pipereview"]:
        return argv[3:]
    return None


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*):", text, re.M))


def extras() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(project["project"].get("optional-dependencies", {}))


# -- the command line -----------------------------------------------------------------
def parse_cli(args: list[str]) -> str:
    """ "" when the real command line accepts ``args``, else why not."""
    import typer.main

    from pipereview.cli import app

    group = typer.main.get_command(app)
    names = group.commands  # type: ignore[attr-defined]
    at = next((i for i, arg in enumerate(args) if arg in names), None)
    if at is None:
        return f"no pipereview command in {args}"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            parent = group.make_context("pipereview", args[: at + 1])
            names[args[at]].make_context(args[at], args[at + 1 :], parent=parent)
    except Exception as error:
        if getattr(error, "exit_code", None) == 0:  # --help
            return ""
        return f"pipereview {shlex.join(args)}: {type(error).__name__}: {error}"
    return ""


def option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def subcommand(args: list[str]) -> str:
    return next((a for a in args if not a.startswith("-") and re.fullmatch(r"[a-z]+", a)), "")


@dataclass
class Page:
    """One page being checked: its sandbox, namespace, problems and units shown."""

    name: str
    sandbox: Path
    found: list[Block]
    problems: list[str] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    cwd: Path | None = None
    last_output: str | None = None
    serve_count: int = 0

    @property
    def titles(self) -> set[str]:
        return {Path(b.title).name for b in self.found if b.title}

    def problem(self, block: Block, message: str) -> None:
        self.problems.append(f"{block.where(self.name)}: {message}")

    def sandboxed(self, arg: str) -> str:
        if arg == WORKDIR or arg.startswith(WORKDIR + "/"):
            return str(self.sandbox) + arg[len(WORKDIR) :]
        return arg

    def expanded(self, args: list[str]) -> list[str]:
        out = []
        for arg in map(self.sandboxed, args):
            matches = sorted(glob.glob(arg)) if re.search(r"[*?\[]", arg) else []
            out.extend(matches or [arg])
        return out

    # -- commands ----------------------------------------------------------------------
    def shell(
        self, block: Block, line: str, *, expect_error: bool = False, run: bool = True
    ) -> str:
        """Check (and run where it may) one shell line; returns what it printed."""
        printed = []
        entry = cron_entry(line)
        if entry is not None:
            fields, command = entry
            for message in cron_problems(fields, command):
                self.problem(block, message)
            line, run = command, False
        for argv in simple_commands(line):
            while argv and re.match(r"^[A-Za-z_]\w*=", argv[0]):
                argv = argv[1:]  # NAME=value prefixes
            if not argv:
                continue
            printed.append(self.command(block, argv, expect_error=expect_error, run=run))
        return "".join(printed)

    def command(self, block: Block, argv: list[str], *, expect_error: bool, run: bool) -> str:
        while argv and Path(argv[0]).name == "sudo":
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[2:] if argv[0] in {"-u", "-g"} else argv[1:]
        if not argv:
            return ""
        program = Path(argv[0]).name
        args = pipereview_args(argv)
        if args is not None:
            return self.pipereview(block, args, expect_error=expect_error, run=run)
        if program == "cd" and len(argv) == 2:
            target = (self.cwd or self.sandbox).joinpath(self.sandboxed(argv[1])).resolve()
            if run and target.is_dir() and target.is_relative_to(self.sandbox.resolve()):
                self.cwd = target
        elif program == "make":
            for target in (a for a in argv[1:] if not a.startswith("-") and "=" not in a):
                if target not in makefile_targets():
                    self.problem(block, f"make {target}: no such target in the Makefile")
        elif "pip" in argv[:3] or program.startswith("pip"):
            for spec in argv[argv.index("install") + 1 :] if "install" in argv else []:
                wanted = re.search(r"\[([^\]]*)\]", spec)
                for extra in wanted[1].split(",") if wanted else []:
                    if extra.strip() not in extras():
                        self.problem(
                            block, f"pip install {spec}: no extra {extra!r} in pyproject.toml"
                        )
        elif program.startswith("python") and len(argv) > 1:
            if argv[1] == "-m" and len(argv) > 2 and argv[2] not in {"pip", "venv"}:
                if importlib.util.find_spec(argv[2].split(".")[0]) is None or (
                    "." in argv[2] and importlib.util.find_spec(argv[2]) is None
                ):
                    self.problem(block, f"python -m {argv[2]}: no such module")
            elif argv[1].endswith(".py") and not (ROOT / argv[1]).exists():
                self.problem(block, f"python {argv[1]}: no such file in the repository")
        elif program == "cat" and run:
            where = self.cwd or self.sandbox
            for name in argv[1:]:
                path = where / self.sandboxed(name)
                if not path.is_file():
                    self.problem(block, f"cat {name}: no such file made by the page")
            return "".join(
                shown_paths(
                    (where / self.sandboxed(n)).read_text(encoding="utf-8-sig"), self.sandbox
                )
                for n in argv[1:]
                if (where / self.sandboxed(n)).is_file()
            )
        elif program.endswith(".sh") and program not in self.titles:
            self.problem(block, f"{argv[0]}: no such script shown on the page")
        elif program == "systemctl":
            for unit in (a for a in argv[1:] if re.search(r"\.(service|timer)$", a)):
                template = re.sub(r"@[^.]*\.", "@.", unit)
                if unit not in self.titles and template not in self.titles:
                    self.problem(block, f"systemctl {unit}: the page shows no such unit")
        return ""

    def pipereview(self, block: Block, args: list[str], *, expect_error: bool, run: bool) -> str:
        args = [self.sandboxed(a) for a in args]
        if problem := parse_cli(args):
            self.problem(block, problem)
            return ""
        name = subcommand(args)
        if not run or name in {"demo", "sample"} or "--help" in args:
            return ""
        if name == "serve" and "--prepare-only" not in args:
            if option(args, "--state-dir") is None:
                self.serve_count += 1
                args += ["--state-dir", str(self.sandbox.parent / f"serve-{self.serve_count}")]
            args.append("--prepare-only")
        if name == "run" and option(args, "--teams") is None:
            args += ["--teams", ONE_TEAM]
        where = self.cwd or self.sandbox
        reports = where / (option(args, "--out") or "reports")
        key = self.run_key(args) if name == "run" and not reports.exists() else None
        if key in RUNS:
            made, output, code = RUNS[key]  # type: ignore[index]
            shutil.copytree(made, reports, symlinks=True)
        else:
            from typer.testing import CliRunner

            from pipereview.cli import app

            with contextlib.chdir(where):
                result = CliRunner().invoke(app, self.expanded(args))
            output, code = shown_paths(result.output, self.sandbox), result.exit_code
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                trace = "".join(traceback.format_exception(result.exception))
                self.problem(block, f"pipereview {shlex.join(args)} raised:\n{trace}")
                return output
            if key is not None and reports.exists():
                RUNS[key] = (reports, output, code)
        if code != (1 if expect_error else 0):
            self.problem(
                block,
                f"pipereview {shlex.join(args)} exited {code}, "
                f"expected {1 if expect_error else 0}:\n{output}",
            )
        return output

    def run_key(self, args: list[str]) -> str:
        """A batch run's command and inputs: the stored weeks' sources and the targets."""
        import hashlib

        from pipereview.history._store import SnapshotStore

        where = self.cwd or self.sandbox
        store = SnapshotStore(where / (option(args, "--store") or "pipereview-data"))
        targets = option(args, "--targets")
        digest = (
            hashlib.sha256((where / targets).read_bytes()).hexdigest()
            if targets and (where / targets).is_file()
            else ""
        )
        inputs = [store.info(week)["sources"] for week in store.weeks()]
        return json.dumps(
            [
                shown_paths(shlex.join(args), self.sandbox),
                str(where.relative_to(self.sandbox)),
                inputs,
                digest,
            ]
        )

    # -- blocks ------------------------------------------------------------------------
    def check(self, i: int, block: Block) -> None:
        lang = block.lang
        if lang not in LANGUAGES:
            self.problem(
                block,
                "no language: give every block one (text for a diagram)"
                if not lang
                else f"no rule for the language {lang!r}",
            )
            return
        getattr(self, f"check_{lang}")(i, block)

    def following_text(self, i: int) -> Block | None:
        if i + 1 < len(self.found) and self.found[i + 1].lang == "text":
            return self.found[i + 1]
        return None

    def check_text(self, i: int, block: Block) -> None:
        """Free text, unless the block before printed it (checked there)."""

    def check_python(self, i: int, block: Block) -> None:
        if block.title:
            try:
                compile(block.code, block.title, "exec")
            except SyntaxError as error:
                self.problem(block, f"{block.title} does not compile: {error}")
            return
        printed = io.StringIO()
        with contextlib.chdir(self.sandbox), contextlib.redirect_stdout(printed):
            try:
                if block.code.lstrip().startswith(">>>"):
                    self.doctest(block)
                else:
                    exec(compile(block.code, block.where(self.name), "exec"), self.namespace)
            except Exception:
                self.problem(block, traceback.format_exc())
                return
        expected = self.following_text(i)
        if expected is not None:
            got = shown_paths(printed.getvalue(), self.sandbox)
            if not same_output(expected.code, got):
                self.problem(block, "printed something else" + diff(expected.code, got))

    def doctest(self, block: Block) -> None:
        test = doctest.DocTestParser().get_doctest(
            block.code, self.namespace, block.where(self.name), self.name, block.line
        )
        report = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=FLAGS)
        runner.run(test, out=report.write, clear_globs=False)
        self.namespace.update(test.globs)
        if runner.failures:
            self.problem(block, report.getvalue())

    def check_bash(self, i: int, block: Block) -> None:
        if block.title:  # a script: its commands parse, nothing runs
            for line in logical_lines(block.code):
                self.shell(block, line, run=False)
            return
        outputs = [self.shell(block, line) for line in logical_lines(block.code)]
        self.last_output = outputs[-1] if outputs else None
        self.compare_following(i, block)

    check_sh = check_bash

    def check_console(self, i: int, block: Block) -> None:
        lines = block.code.splitlines()
        if not any(line.startswith("$ ") for line in lines):
            self.problem(block, "a console block marks its commands with '$ ' (or use bash)")
            self.check_bash(i, block)
            return
        steps: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and steps[-1][0].endswith("\\") and not steps[-1][1]:
                steps[-1] = (steps[-1][0][:-1] + " " + line.strip(), [])
            elif steps:
                steps[-1][1].append(line)
        for command, shown in steps:
            expected = "\n".join(shown).strip("\n")
            expect_error = any(line.startswith("error:") for line in shown)
            got = "".join(
                self.shell(block, c, expect_error=expect_error) for c in logical_lines(command)
            )
            self.last_output = got
            if expected and not same_output(expected + "\n", got):
                self.problem(
                    block, f"$ {command}: printed something else" + diff(expected + "\n", got)
                )
        self.compare_following(i, block)

    def compare_following(self, i: int, block: Block) -> None:
        expected = self.following_text(i)
        if (
            expected is not None
            and self.last_output is not None
            and not same_output(expected.code, self.last_output)
        ):
            self.problem(
                block,
                "the text after it is not what it printed" + diff(expected.code, self.last_output),
            )

    def check_yaml(self, i: int, block: Block) -> None:
        try:
            data = yaml.safe_load(block.code)
        except yaml.YAMLError as error:
            self.problem(block, f"not YAML: {error}")
            return
        path = (
            self.sandbox / block.title
            if block.title
            else self.sandbox.parent / f"block-{block.line}.yaml"
        )
        if not block.title:
            path.write_text(block.code, encoding="utf-8")
        keys = set(data) if isinstance(data, dict) else set()
        try:
            if "stages" in keys:
                from pipereview.core._stages import load_stage_model

                load_stage_model(path)
            elif "columns" in keys:
                from pipereview.ingest._columnmaps import load_column_map

                load_column_map(path)
            elif keys and keys <= {"rules", "disabled"}:
                from pipereview.coaching import load_rule_settings

                load_rule_settings(path)
            elif not block.title or not self.used(block.title, i):
                self.problem(
                    block,
                    "YAML of no known kind (stage model, column map, "
                    "coaching settings), and no titled file the page uses",
                )
        except Exception as error:
            self.problem(block, f"refused by its loader: {type(error).__name__}: {error}")

    def used(self, title: str, i: int) -> bool:
        return any(title in later.code for later in self.found[i + 1 :])

    def check_toml(self, i: int, block: Block) -> None:
        try:
            tomllib.loads(block.code)
        except tomllib.TOMLDecodeError as error:
            self.problem(block, f"not TOML: {error}")

    def check_jinja(self, i: int, block: Block) -> None:
        import jinja2

        try:
            jinja2.Environment().parse(block.code)
        except jinja2.TemplateSyntaxError as error:
            self.problem(block, f"not a Jinja template: {error}")

    def check_csv(self, i: int, block: Block) -> None:
        import csv

        if not list(csv.reader(io.StringIO(block.code))):
            self.problem(block, "an empty CSV file")

    def check_json(self, i: int, block: Block) -> None:
        try:
            part = json.loads(block.code)
        except json.JSONDecodeError as error:
            self.problem(block, f"not JSON: {error}")
            return
        source = block.attrs.get("excerpt")
        if source:
            path = (self.cwd or self.sandbox) / self.sandboxed(source)
            if not path.exists():
                self.problem(block, f"{source}: not made by the page by then")
                return
            whole = json.loads(shown_paths(path.read_text(encoding="utf-8"), self.sandbox))
            if problem := excerpt_of(whole, part):
                self.problem(block, f"not an excerpt of {source}: {problem}")

    def check_ini(self, i: int, block: Block) -> None:
        kind = Path(block.title).suffix
        if kind in {".service", ".timer"}:
            self.systemd_unit(block, kind)
            return
        try:
            configparser.ConfigParser(interpolation=None).read_string(block.code)
        except configparser.Error as error:
            self.problem(block, f"not INI: {error}")

    def systemd_unit(self, block: Block, kind: str) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        current = None
        for line in logical_lines(block.code):
            if line.startswith(";"):
                continue
            if re.fullmatch(r"\[[A-Za-z]+\]", line):
                current = sections.setdefault(line[1:-1], [])
            elif "=" in line and current is not None:
                key, value = line.split("=", 1)
                current.append((key.strip(), value.strip()))
            else:
                self.problem(block, f"not a unit file line: {line!r}")
        values = {s: dict(entries) for s, entries in sections.items()}
        needed = {".service": ["Unit", "Service"], ".timer": ["Unit", "Timer", "Install"]}[kind]
        for section in needed:
            if section not in sections:
                self.problem(block, f"{block.title}: no [{section}] section")
        if kind == ".timer":
            timer = values.get("Timer", {})
            calendar = timer.get("OnCalendar")
            if calendar is None:
                self.problem(block, f"{block.title}: no OnCalendar=")
            elif shutil.which("systemd-analyze"):
                checked = subprocess.run(
                    ["systemd-analyze", "calendar", calendar], capture_output=True, text=True
                )
                if checked.returncode:
                    self.problem(block, f"OnCalendar={calendar}: {checked.stderr.strip()}")
            service = timer.get("Unit", Path(block.title).stem + ".service")
            if service not in self.titles:
                self.problem(block, f"{block.title} starts {service}, not shown on the page")
            return
        service = sections.get("Service", [])
        starts = [value for key, value in service if key.startswith("Exec")]
        if not any(key == "ExecStart" for key, _ in service):
            self.problem(block, f"{block.title}: no ExecStart=")
        if (
            sum(key == "ExecStart" for key, _ in service) > 1
            and values.get("Service", {}).get("Type") != "oneshot"
        ):
            self.problem(block, "several ExecStart= need Type=oneshot")
        for key, value in service:
            if key == "WorkingDirectory" and not value.lstrip("-").startswith(("/", "~")):
                self.problem(block, f"WorkingDirectory={value}: not an absolute path")
        environment = {
            entry.split("=", 1)[0]
            for key, value in service
            if key == "Environment"
            for entry in shlex.split(value)
        }
        for value in starts:
            self.exec_line(block, value.lstrip("-@:+!"), environment)

    def exec_line(self, block: Block, value: str, environment: set[str]) -> None:
        for name in re.findall(r"(?<!\$)\$\{?(\w+)", value.replace("$$", "")):
            if name not in environment:
                self.problem(
                    block,
                    f"{value}: systemd replaces ${name} (unset: empty); write "
                    f"$${name} for the shell",
                )
        for bad in re.findall(r"%[^%iInNph]", value.replace("%%", "")):
            self.problem(
                block,
                f"{value}: systemd replaces {bad} (a specifier); write %{bad} for a literal %",
            )
        argv = shlex.split(value.replace("%%", "%").replace("$$", "$"))
        if Path(argv[0]).name.endswith(".sh") and Path(argv[0]).name not in self.titles:
            self.problem(block, f"{argv[0]}: no such script shown on the page")
        if Path(argv[0]).name in {"sh", "bash", "dash"} and "-c" in argv:
            script = argv[argv.index("-c") + 1]
            for line in logical_lines(script):
                self.shell(block, line, run=False)
            return
        if any(token in SEPARATORS | REDIRECTS or "$(" in token or "*" in token for token in argv):
            self.problem(block, f"{value}: systemd runs no shell (wrap it in /bin/sh -c '...')")
        args = pipereview_args(argv)
        if args is not None and (problem := parse_cli(args)):
            self.problem(block, problem)

    def check_nginx(self, i: int, block: Block) -> None:
        code = re.sub(r"#.*", "", block.code)
        if code.count("{") != code.count("}"):
            self.problem(block, "unbalanced braces")
        for line in (line.strip() for line in code.splitlines()):
            if line and not line.endswith((";", "{", "}")):
                self.problem(block, f"a directive without ';': {line!r}")
        served = self.serve_commands()
        locations = re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", code)
        for prefix, body in locations:
            target = re.search(r"proxy_pass\s+https?://(?:127\.0\.0\.1|localhost):(\d+)", body)
            if target is None:
                continue
            port = target[1]
            if not any(
                option(args, "--port") == port and option(args, "--base-url") in {prefix, None}
                for args in served
            ):
                self.problem(
                    block,
                    f"proxy_pass to port {port} at {prefix}: no `pipereview "
                    "serve --port` with that port and --base-url on the page",
                )

    def serve_commands(self) -> list[list[str]]:
        found = []
        for block in self.found:
            if block.lang in {"bash", "sh", "console"}:
                for line in logical_lines(block.code.replace("$ ", "")):
                    for argv in simple_commands(line):
                        args = pipereview_args(argv)
                        if args and subcommand(args) == "serve":
                            found.append(args)
        return found


def checked_pages() -> list[str]:
    return sorted(p.name for p in DOCS.glob("*.md") if p.name not in GENERATED)


def page_problems(path: Path, root: Path, stores: dict[str, Path]) -> list[str]:
    """Check every block of the page at ``path`` in a sandbox made in ``root``."""
    (root / "srv-pipereview").mkdir()
    sandbox = make_sandbox(root / "srv-pipereview", stores, directives(path))
    found = blocks(path)
    page = Page(path.name, sandbox, found)
    for block in found:
        if block.title:
            target = sandbox / block.title
            assert target.resolve().is_relative_to(sandbox.resolve()), (
                f"{block.where(path.name)}: title={block.title} leaves the sandbox"
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
    with registries_kept(), contextlib.chdir(sandbox):
        for i, block in enumerate(found):
            page.check(i, block)
    return page.problems


@pytest.mark.parametrize("name", checked_pages())
def test_docs_page(name: str, tmp_path: Path, stores: dict[str, Path]) -> None:
    problems = page_problems(DOCS / name, tmp_path, stores)
    known = KNOWN_PROBLEMS.get(name, {})
    new = [p for p in problems if not any(k in p for k in known)]
    gone = [k for k in known if not any(k in p for p in problems)]
    assert not new, f"{len(new)} problem(s) in docs/{name}:\n\n" + "\n\n".join(new)
    assert not gone, f"fixed in docs/{name}: remove from KNOWN_PROBLEMS: {gone}"


#: A page with one mistake, and what the check must say about it.
MISTAKES = [
    ("```rust\nfn main() {}\n```", "no rule for the language 'rust'"),
    ("```\nplain\n```", "no language"),
    ("```bash\npipereview run --week 2026-W47 --team North\n```", "No such option: --team"),
    (
        "```bash\npipereview weeks --store nowhere/at/all\npipereview ingest x.csv\n```",
        "Missing parameter: week",
    ),
    (
        "```console\n$ pipereview coach --store demo-output/store --team Nowhere\n```",
        "no team Nowhere",
    ),
    (
        "```console\n$ pipereview changes --store demo-output/store --week 2026-W47\n"
        "Changes in 2026-W46\n```",
        "printed something else",
    ),
    ("```python\nprint(1 + 1)\n```\n\n```text\n3\n```", "printed something else"),
    ("```python\n>>> 1 + 1\n3\n```", "Expected:"),
    ("```bash\nmake deploy\n```", "no such target"),
    ("```bash\npip install '.[docs]'\n```", "no extra 'docs'"),
    ("```bash\n0 6 * * 1  cd /srv/pipereview && date +%V\n```", "unescaped %"),
    ("```bash\n0 25 * * 1  pipereview weeks\n```", "outside 0-23"),
    ("```bash\n0 6 * * 1  pipereview weeks --all\n```", "No such option: --all"),
    ("```bash\nsystemctl enable --now nothing.timer\n```", "the page shows no such unit"),
    (
        "```ini title=a.service\n[Service]\nExecStart=/usr/bin/pipereview weeks\n```",
        "no [Unit] section",
    ),
    (
        "```ini title=a.service\n[Unit]\n[Service]\nExecStart=pipereview ingest x/* "
        "--week 2026-W47\n```",
        "systemd runs no shell",
    ),
    (
        "```ini title=a.service\n[Unit]\n[Service]\nExecStart=/bin/sh -c 'pipereview "
        "ingest x --week $(date +%G-W%V)'\n```",
        "(a specifier)",
    ),
    (
        "```ini title=a.service\n[Unit]\n[Service]\nExecStart=/bin/sh -c 'w=1; echo $w'\n```",
        "systemd replaces $w",
    ),
    (
        "```ini title=a.timer\n[Unit]\n[Timer]\nOnCalendar=Mon 06:00\n[Install]\n```",
        "a.service, not shown on the page",
    ),
    (
        "```nginx\nlocation /x/ {\n    proxy_pass http://127.0.0.1:8870;\n}\n```",
        "no `pipereview serve --port`",
    ),
    ("```yaml\nname: m\nstages: []\n```", "refused by its loader"),
    ("```yaml\nfoo: 1\n```", "YAML of no known kind"),
    ("```json excerpt=data/samples/nothing.json\n{}\n```", "not made by the page"),
]


@pytest.mark.parametrize(("page", "says"), MISTAKES, ids=[m[1] for m in MISTAKES])
def test_a_mistake_in_a_page_is_found(
    page: str, says: str, tmp_path: Path, stores: dict[str, Path]
) -> None:
    path = tmp_path / "page.md"
    path.write_text(f"# A page\n\n{page}\n", encoding="utf-8")
    (tmp_path / "root").mkdir()
    problems = page_problems(path, tmp_path / "root", stores)
    assert any(says in problem for problem in problems), problems


def test_every_page_is_checked_or_generated() -> None:
    pages = {p.name for p in DOCS.glob("*.md")}
    assert set(GENERATED) <= pages, f"generated pages missing: {set(GENERATED) - pages}"
    assert set(KNOWN_PROBLEMS) <= pages - set(GENERATED)
    assert set(checked_pages()) | set(GENERATED) == pages
    assert all(GENERATED[name] in globals() for name in GENERATED)


def test_cli_reference_is_current() -> None:
    from pipereview.cli_reference import cli_reference

    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert page == cli_reference(), (
        "docs/cli.md is out of date: python -m pipereview.cli_reference > docs/cli.md"
    )

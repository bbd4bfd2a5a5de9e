"""Code in the docs runs: every ``python`` block of a page is executed in order in one
namespace, files shown with ``title=<path>`` are written first, and a ``text`` block right
after a ``python`` block is the output it must print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
PAGES = ["coaching.md", "dashboard.md"]


def blocks(page: Path) -> list[tuple[str, str, str]]:
    """(language, title, code) of every fenced block of ``page``, in order."""
    out = []
    for lang, info, code in FENCE.findall(page.read_text(encoding="utf-8")):
        title = re.search(r"title=(\S+)", info)
        out.append((lang, title.group(1) if title else "", code))
    return out


@pytest.mark.parametrize("name", PAGES)
def test_docs_code_runs(name: str, tmp_path: Path, sample_store: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipereview.coaching import unregister_rule

    (tmp_path / "demo-output").mkdir()
    (tmp_path / "demo-output" / "store").symlink_to(sample_store)
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    found = blocks(ROOT / "docs" / name)
    for _, title, code in found:
        if title:
            (tmp_path / title).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / title).write_text(code, encoding="utf-8")
    namespace: dict[str, object] = {}
    ran = 0
    try:
        for i, (lang, title, code) in enumerate(found):
            if lang != "python" or title:
                continue
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{name} block {i}", "exec"), namespace)
            ran += 1
            if i + 1 < len(found) and found[i + 1][0] == "text":
                assert printed.getvalue() == found[i + 1][2], f"{name} block {i}"
    finally:
        unregister_rule("no_next_step")
    assert ran > 0


def test_cli_reference_is_current() -> None:
    from pipereview.cli_reference import cli_reference

    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == cli_reference(), (
        "docs/cli.md is out of date: python -m pipereview.cli_reference > docs/cli.md")

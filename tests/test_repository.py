"""The repository speaks for itself: every page it cites exists in it, and nothing points
to documents outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: documents that live outside the repository, which nothing in it may cite
OUTSIDE = re.compile(
    r"\bDOMAIN\.md\b|\bDESIGN\.md\b|\bSTACK-NOTES\.md\b|\bSTYLE\.md\b|\.\./shared\b"
)
CITED_PAGE = re.compile(r"\bdocs/([A-Za-z0-9_-]+\.md)\b")


def _tracked_text_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = []
    for name in listed:
        path = ROOT / name
        if (
            path.suffix
            in {
                ".py",
                ".md",
                ".yaml",
                ".yml",
                ".toml",
                ".ipynb",
                ".cfg",
                ".txt",
                ".j2",
                ".jinja",
                ".html",
                "",
            }
            and path.is_file()
        ):
            files.append(path)
    return files


def test_nothing_points_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_text_files():
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {m.group()}" for m in OUTSIDE.finditer(text)]
    assert not offenders, "cites documents outside the repository:\n" + "\n".join(offenders)


def test_every_cited_page_exists() -> None:
    missing = set()
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        missing |= {
            f"{path.relative_to(ROOT)} cites docs/{page}"
            for page in CITED_PAGE.findall(text)
            if not (ROOT / "docs" / page).exists()
        }
    assert not missing, "\n".join(sorted(missing))


def test_the_method_page_covers_every_part_of_the_method() -> None:
    page = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## §(\d) ", page, flags=re.MULTILINE)
    assert sections == [str(n) for n in range(1, 8)]
    cited = set()
    for path in _tracked_text_files():
        cited |= set(
            re.findall(r"docs/method\.md (§\d)", path.read_text(encoding="utf-8", errors="replace"))
        )
    assert cited <= {f"§{n}" for n in range(1, 8)}

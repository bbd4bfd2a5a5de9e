"""Files written whole or not at all, and on disk before they replace the old one.

Every writer of the package (the store's files, the review pack's pages, Parquet written by
path) goes through a temporary file renamed over its target. The rename must come after
the new bytes reached the disk (``fsync``): otherwise a crash right after it can leave an
empty target where the old file was. And a write that fails leaves the old file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipereview.core._files import atomic_path, atomic_write
from pipereview.delivery._teamrun import write_text_file


def _by_handle(path: Path, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _by_path(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


WRITERS: dict[str, Callable[[Path, str], None]] = {
    "atomic_write": _by_handle,
    "atomic_path": _by_path,
    "write_text_file": write_text_file,
}


@pytest.fixture
def disk_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """What reached the disk and what was renamed, in order: ("fsync", inode) and
    ("replace", inode of the file renamed)."""
    log: list[tuple[str, int]] = []
    fsync, replace = os.fsync, os.replace

    def logged_fsync(fd: int) -> None:
        log.append(("fsync", os.fstat(fd).st_ino))
        fsync(fd)

    def logged_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        log.append(("replace", os.stat(src).st_ino))
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "replace", logged_replace)
    return log


@pytest.mark.parametrize("writer", list(WRITERS))
def test_the_new_bytes_reach_the_disk_before_they_replace_the_old_file(
    writer: str, tmp_path: Path, disk_log: list[tuple[str, int]]
) -> None:
    target = tmp_path / "report.html"
    target.write_text("last week", encoding="utf-8")
    WRITERS[writer](target, "this week")
    assert target.read_text(encoding="utf-8") == "this week"
    renamed = [inode for kind, inode in disk_log if kind == "replace"]
    assert renamed == [target.stat().st_ino]
    first_rename = disk_log.index(("replace", renamed[0]))
    assert ("fsync", renamed[0]) in disk_log[:first_rename], disk_log


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    writer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("last week", encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        WRITERS[writer](target, "this week")
    assert target.read_text(encoding="utf-8") == "last week"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

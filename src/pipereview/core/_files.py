"""Writing files whole or not at all, and never through a symlink out of their folder.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> with atomic_write(root / "a" / "b.txt", "w", encoding="utf-8", within=root) as handle:
...     _ = handle.write("done")
>>> (root / "a" / "b.txt").read_text(encoding="utf-8")
'done'

A write goes to a temporary file ``.<name>.<random>.tmp`` in the target's folder and is
renamed over the target only when complete. Files and folders get the permissions the
user's umask gives (0644 and 0755 under umask 022), like any other program's:

>>> import stat
>>> old = os.umask(0o027)
>>> with atomic_write(root / "c.txt", "w", encoding="utf-8") as handle:
...     _ = handle.write("done")
>>> _ = os.umask(old)
>>> oct(stat.S_IMODE((root / "c.txt").stat().st_mode))
'0o640'

A process killed in between leaves the temporary file behind: :func:`leftovers` finds such files so that the next writer holding
the folder's lock can remove them.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pipereview.core._errors import InputError, StoreError

__all__ = [
    "TEMP_SUFFIX",
    "atomic_path",
    "atomic_write",
    "check_inside",
    "check_output_folder",
    "leftovers",
]

#: The suffix of :func:`atomic_write`'s temporary files.
TEMP_SUFFIX = ".tmp"


def check_output_folder(path: str | Path, what: str, option: str = "--out") -> Path:
    """``path`` as the folder ``what`` is written into, refused before any work when it
    (or a folder on the way to it) is an existing file, which no write could get past.

    >>> import tempfile
    >>> here = Path(tempfile.mkdtemp())
    >>> check_output_folder(here / "reports" / "2026-W47", "the reports") == here / "reports" / "2026-W47"
    True
    >>> _ = (here / "victim.txt").write_text("keep me")
    >>> try:
    ...     check_output_folder(here / "victim.txt" / "2026-W47", "the coaching pack")
    ... except InputError as error:
    ...     print(str(error).replace(str(here), "<folder>"))
    the coaching pack cannot be written under <folder>/victim.txt/2026-W47: <folder>/victim.txt is a file (expected a folder)
    Hint: choose a folder for --out (the file is left as it is)
    """
    folder = Path(path)
    for part in (folder, *folder.parents):
        if part.exists() or part.is_symlink():
            if not part.is_dir():
                raise InputError(
                    f"{what} cannot be written under {folder}: {part} is a file",
                    file=str(part),
                    expected="a folder",
                    hint=f"choose a folder for {option} (the file is left as it is)",
                )
            break
    return folder


def check_inside(path: Path, root: Path) -> None:
    """Refuse ``path`` when a symlink on the way takes it out of ``root``.

    ``root`` itself may be a symlink (a store on another disk); what lies under it may not
    lead elsewhere, so a write under ``root`` always lands under ``root``.
    """
    real_root = root.resolve()
    real = path.parent.resolve() / path.name
    if real != real_root and real_root not in real.parents:
        raise StoreError(
            f"refusing to write {path}: a symlink on the way leads out of {root} "
            f"(to {real.parent})",
            hint=f"replace the symlinked folder under {root} by a real folder (move its "
            "files in), or point --store at the folder you mean",
        )
    if path.is_symlink():
        raise StoreError(
            f"refusing to write {path}: it is a symlink (to {path.resolve()})",
            hint="remove the symlink; the store writes its own files only",
        )


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, opened for writing, with the permissions the
    user's umask gives a new file (0644 under umask 022, 0640 under 027; also what a
    folder's default ACL adds), as any program's ``open()`` would create it. Not
    :func:`tempfile.mkstemp`, which makes every file 0600 whatever the umask, so a
    report server running as another user could read nothing written here."""
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


@contextmanager
def atomic_write(
    path: Path, mode: str = "wb", encoding: str | None = None, *, within: Path | None = None
) -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file in the same folder, renamed when complete.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    With ``within``, the write is refused when a symlink would take it out of that folder.
    """
    if within is not None:
        check_inside(path, within)
    path.parent.mkdir(parents=True, exist_ok=True)
    if within is not None:
        check_inside(path, within)  # the folders just made, or found, lead nowhere else
    fd, tmp = _new_temporary(path)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file's path beside ``path``, for a writer that opens files by path
    (Arrow's Parquet writer); renamed over ``path`` when the block completes, removed if it
    raises (``path`` is then left as it was).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole")
    >>> target.read_text(), tmp.exists()
    ('whole', False)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temporary(path)
    os.close(fd)
    try:
        yield tmp
        _flush_to_disk(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _flush_to_disk(path: Path) -> None:
    """Have the bytes of ``path`` (written and closed by another writer) reach the disk
    before it is renamed over its target: after a crash the target then holds the old
    file or the whole new one, never an empty one."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def leftovers(folder: Path, *, older_than: float | None = None) -> list[Path]:
    """Temporary files of :func:`atomic_write` in ``folder`` (not below), last modified
    before ``older_than`` (seconds since the epoch; default: now)."""
    limit = time.time() if older_than is None else older_than
    found = []
    try:
        entries = list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            if entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < limit:
                found.append(entry)
        except FileNotFoundError:
            continue  # renamed or removed meanwhile
    return sorted(found)

"""Pack folders: one folder per team, no two sharing a name, and the pack written whole or
not at all.

:func:`team_folders` gives each team its folder, refusing names that cannot be folders
(:func:`pipereview.core._names.check_folder_name`) and two names one file system would take
for one. A pack (the batch's week, a coaching pack) is built
in a staging folder beside its final place and renamed into place only when complete.

While a pack is written, a lock beside it (``.<name>.lock``, :mod:`filelock`, removed
when the write ends) keeps a second run of the same pack waiting, so the leftovers of a run that was killed (its
``.<name>.staging-*`` and ``.<name>.old-*`` folders) are known to be dead and are removed
by the next run. The staging folder is new, made by this process: nothing in it can be a
link planted by someone else, so no write follows a symbolic link out of the pack; a pack
folder that is itself a link is renamed away, never written through.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> with staged_folder(root / "2026-W47") as staging:
...     _ = (staging / "index.html").write_text("whole", encoding="utf-8")
>>> sorted(p.name for p in (root / "2026-W47").iterdir())
['index.html']
>>> sorted(p.name for p in root.iterdir())  # no lock, no staging folder left
['2026-W47']
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from pipereview.core._errors import InputError
from pipereview.core._names import check_folder_name, lookalike_key

__all__ = [
    "LEFTOVER_KINDS",
    "clean_leftovers",
    "sibling",
    "staged_folder",
    "swap_in",
    "team_folders",
]

#: The kinds of sibling folder a pack's writing leaves while it runs (and, when killed,
#: after it): ``.<name>.staging-<hex>``, ``.<name>.old-<hex>``, ``.<name>.work-<hex>``.
LEFTOVER_KINDS: tuple[str, ...] = ("staging", "old", "work")


def _lock(final: Path) -> FileLock:
    return FileLock(str(final.parent / f".{final.name}.lock"))


def clean_leftovers(final: Path) -> list[Path]:
    """Remove what killed writes of ``final`` left beside it (folders named
    ``.<name>.<kind>-*`` for each of :data:`LEFTOVER_KINDS`); return what was removed.
    Call it only while holding the pack's lock (:func:`staged_folder` does)."""
    removed: list[Path] = []
    if not final.parent.is_dir():
        return removed
    prefixes = tuple(f".{final.name}.{kind}-" for kind in LEFTOVER_KINDS)
    for entry in sorted(final.parent.iterdir()):
        if entry.name.startswith(prefixes):
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def sibling(final: Path, kind: str) -> Path:
    """A new name beside ``final`` of one of :data:`LEFTOVER_KINDS` (not created)."""
    return final.parent / f".{final.name}.{kind}-{secrets.token_hex(4)}"


def swap_in(staging: Path, final: Path) -> None:
    """Put the complete ``staging`` folder at ``final``: the previous ``final`` (a folder,
    or a link, never followed) is renamed aside, then removed."""
    old = sibling(final, "old")
    if final.exists() or final.is_symlink():
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        if old.exists() or old.is_symlink():
            os.rename(old, final)  # the previous pack back in place
        raise
    if old.is_symlink():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """A new, empty staging folder beside ``final``, renamed to ``final`` when the block
    ends without an error; on an error (a full disk, a name too long, an interrupt) the
    staging folder is removed and ``final`` is left as it was. The pack's lock is held
    throughout, and leftovers of killed writes of ``final`` are removed first."""
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock(final)
    with lock:
        try:
            clean_leftovers(final)
            staging = sibling(final, "staging")
            try:
                staging.mkdir()
                yield staging
                swap_in(staging, final)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        finally:  # removed while held: a waiting run then sees it gone and takes a new one
            Path(lock.lock_file).unlink(missing_ok=True)


def team_folders(teams: Sequence[str], *, reserved: Iterable[str] = ()) -> dict[str, str]:
    """Each team's folder name: the team's name when :func:`~pipereview.core._names.name_problem`
    finds nothing wrong with it, else an :class:`InputError`. Two teams whose names differ
    only in case, width or spacing (:func:`~pipereview.core._names.lookalike_key`: one folder on
    Windows and macOS) are refused, and so is a team named like one of the pack's own
    files (``reserved``, e.g. ``index.html``).

    >>> team_folders(["North", "华东"])
    {'North': 'North', '华东': '华东'}
    """
    taken = {lookalike_key(name): f"the pack's own {name!r}" for name in reserved}
    folders: dict[str, str] = {}
    for team in teams:
        folder = check_folder_name(str(team), "team")
        key = lookalike_key(folder)
        if key in taken:
            raise InputError(
                f"team {team!r} would share its folder with {taken[key]}: names that differ "
                "only in case, width or spacing are one folder on Windows and macOS",
                expected="team names that differ in more than case, width or spacing",
                hint="give the team one spelling in every export (or the column map's "
                "values), or leave one of them out with --team",
            )
        taken[key] = f"team {team!r}"
        folders[team] = folder
    return folders

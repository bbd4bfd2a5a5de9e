"""What ``pipereview calls`` and ``pipereview companions`` share: read the files, print
how each file's rows were counted, check them all, then store each and print what was
stored.

>>> from pathlib import Path
>>> from types import SimpleNamespace
>>> def read(path: Path) -> SimpleNamespace:
...     return SimpleNamespace(source=path, rows_read=3, rows_used=2, rows_quarantined=1,
...                            rows_skipped=0)
>>> def stored(export: SimpleNamespace) -> SimpleNamespace:
...     return SimpleNamespace(summary=lambda: f"stored {export.source.name}")
>>> store_side_files([Path("calls.csv")], read, label=lambda e: "forecast calls",
...                  check=lambda exports: None, store=stored)
calls.csv (forecast calls): 3 rows read, 2 used, 1 set aside, 0 skipped
stored calls.csv
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from rich.markup import escape

from pipereview.cli._base import state

if TYPE_CHECKING:
    from pipereview.ingest._countedexport import CountedExport

__all__ = ["store_side_files"]

E = TypeVar("E", bound="CountedExport")


class _Stored(Protocol):
    def summary(self) -> str: ...


def store_side_files(
    files: Sequence[Path],
    read: Callable[[Path], E],
    *,
    label: Callable[[E], str],
    check: Callable[[list[E]], None],
    store: Callable[[E], _Stored],
    notes: Callable[[E], list[str]] = lambda export: [],
) -> None:
    """Read every file with ``read`` and print its counts (``label``: what it holds) and
    ``notes``; then ``check`` them all, before the first is stored with ``store``, whose
    result's ``summary()`` is printed."""
    exports = [read(f) for f in files]
    for export in exports:  # every file read and checked before the first is stored
        state.out.print(
            f"{escape(export.source.name)} ({label(export)}): {export.rows_read} "
            f"rows read, {export.rows_used} used, {export.rows_quarantined} set aside, "
            f"{export.rows_skipped} skipped",
            soft_wrap=True,
        )
        for note in notes(export):
            state.out.print(note, markup=False, soft_wrap=True)
    check(exports)
    for export in exports:
        stored = store(export)
        state.out.print(f"[green]{escape(stored.summary())}[/]", soft_wrap=True)

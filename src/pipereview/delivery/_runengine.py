"""The papermill engine a team's notebook runs with in the weekly batch: papermill's own
(nbclient), except for when the executed notebook is written.

papermill writes the whole executed notebook before and after every cell (40 writes for
the weekly review, each one serialised and checked against the notebook schema), with
the kernel waiting for the next cell meanwhile. Here it is written when the run starts,
during a long cell (papermill's autosave, every 30 s), and when the run ends, whatever
ended it: an error, the cell or team limit, the kernel's death. That last write holds
everything the writes around the cells held (the running cell's status, outputs so far),
so a failed team's notebook reads as before. Nobody reads it in between: it is in the
batch's staging folder until the week is swapped in.

>>> engine_name()
'pipereview-batch'
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__: list[str] = []  # the batch's own, not the package's API

_NAME = "pipereview-batch"
_LOCK = threading.Lock()
_REGISTERED: list[str] = []


class _WrittenAtTheEnds(NotebookExecutionManager):  # type: ignore[misc]
    """papermill's execution record, not written around each cell."""

    _around_a_cell = False

    @contextlib.contextmanager
    def _unwritten(self) -> Iterator[None]:
        self._around_a_cell = True
        try:
            yield
        finally:
            self._around_a_cell = False

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._unwritten():
            super().cell_start(cell, cell_index, **kwargs)

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._unwritten():
            super().cell_complete(cell, cell_index, **kwargs)

    def save(self, **kwargs: Any) -> None:
        if not self._around_a_cell:
            super().save(**kwargs)


class _BatchEngine(NBClientEngine):  # type: ignore[misc]
    """papermill's nbclient engine with :class:`_WrittenAtTheEnds` as its record."""

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        **kwargs: Any,
    ) -> Any:
        record = _WrittenAtTheEnds(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        record.notebook_start()
        try:
            cls.execute_managed_notebook(record, kernel_name, log_output=log_output, **kwargs)
        finally:
            record.cleanup_pbar()
            record.notebook_complete()
        return record.nb


def engine_name() -> str:
    """The engine's name for ``papermill.execute_notebook(engine_name=…)``, registered
    with papermill the first time it is asked for."""
    with _LOCK:
        if not _REGISTERED:
            papermill_engines.register(_NAME, _BatchEngine)
            _REGISTERED.append(_NAME)
    return _NAME

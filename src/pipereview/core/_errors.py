"""The errors pipereview raises, all subclasses of :class:`PipereviewError`.

::

    PipereviewError
    ├── InputError (ValueError)     bad input from a user's file or argument
    │   ├── SchemaError             rows or columns that do not fit the canonical snapshot
    │   ├── EncodingError           a file whose text encoding cannot be told
    │   ├── ColumnMapError          no column map fits, several fit, or a map is invalid
    │   ├── ConfigError             invalid settings, an unknown rule or language, a missing
    │   │   │                       template, a bad argument to an extension's helper
    │   │   └── SettingTypeError    a setting's value of the wrong type or range
    │   └── InvalidWeekError        a week string that is not an ISO week such as 2026-W47
    ├── StageModelError             an invalid stage model file
    │   └── UnknownStageError (KeyError)  a stage key the model does not have
    ├── ExtensionError (RuntimeError)     a registered extension (a coaching rule) failed
    ├── AccessError (PermissionError)     a team outside the one a dashboard is locked to
    ├── ServerError (RuntimeError)        the dashboard server did not start
    ├── PullError                   a CRM's API refused a pull or could not be reached
    │                               (credentials, permissions, rate limits, the network)
    ├── StoreError                  the snapshot store refused an operation
    │   ├── WeekExistsError         the week is stored already (use replace=True or add=True)
    │   ├── WeekChangedError        another writer stored the week while this one was reading
    │   ├── WeekNotFoundError       the week is not in the store
    │   ├── DamagedWeekError        a stored week file is damaged, truncated or not a snapshot
    │   └── StoreBusyError          another pipereview holds the store's lock for too long
    └── FileSystemError (OSError)   a file or folder could not be read or written (a full
                                    disk, a read-only or forbidden folder, a name too long)

    StoreWarning (UserWarning)      a damaged or foreign file set aside while reading the store

Every error carries a ``hint``: what the user can do about it. Input errors also carry the
file, row and column they are about, so a message reads like::

    exports/north.csv, row 12, column 'Amount': expected an amount >= 0, got '-500'.
    Hint: ...
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AccessError",
    "ColumnMapError",
    "ConfigError",
    "DamagedWeekError",
    "EncodingError",
    "ExtensionError",
    "FileSystemError",
    "InputError",
    "InvalidWeekError",
    "PipereviewError",
    "Problem",
    "PullError",
    "SchemaError",
    "ServerError",
    "StageModelError",
    "StoreBusyError",
    "StoreError",
    "StoreWarning",
    "UnknownStageError",
    "WeekChangedError",
    "WeekExistsError",
    "WeekNotFoundError",
]


class PipereviewError(Exception):
    """Base class of every error pipereview raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is, what was expected, how to fix it.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header
    is usually row 1); ``None`` when the problem concerns the whole file or a column.

    >>> str(Problem("a.csv", 3, "Amount", "an amount >= 0", "-5", "remove credits"))
    "a.csv, row 3, column 'Amount': expected an amount >= 0, got '-5'. Hint: remove credits"
    """

    file: str
    row: int | None
    column: str | None
    expected: str
    got: str = ""
    hint: str = ""

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where()}: expected {self.expected}"
        if self.got:
            text += f", got {self.got!r}"
        text += "."
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class InputError(PipereviewError, ValueError):
    """Bad input: a file, a row, a column or an argument the user can fix.

    Also a :class:`ValueError`, so code that catches bad values catches it too. What was
    ``expected`` is part of the message (unless the message says it already), so the
    command line, the dashboard and a log all show it:

    >>> print(InputError("--max-kernels 0 leaves no page", expected="at least 1",
    ...                  hint="give --max-kernels 1 or more"))
    --max-kernels 0 leaves no page (expected at least 1)
    Hint: give --max-kernels 1 or more
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str = "",
        hint: str = "",
        problems: tuple[Problem, ...] = (),
    ) -> None:
        if expected and expected not in message:  # every reader sees what was expected
            message = f"{message} (expected {expected})"
        super().__init__(message, hint=hint)
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        self.problems = problems


class SchemaError(InputError):
    """Rows or columns of an export that do not fit the canonical snapshot.

    ``problems`` lists every problem found, all at once, not just the first.
    """


class EncodingError(InputError):
    """A text file whose encoding is neither UTF-8 nor GB18030, or mixes several."""


class ColumnMapError(InputError):
    """No column map fits the export's header, several fit, or a map file is invalid."""


class ConfigError(InputError):
    """Invalid settings or extensions: a threshold file, an unknown rule, a missing
    prompt template."""


class InvalidWeekError(InputError):
    """A week string that is not an ISO week such as ``2026-W47``."""


class StageModelError(PipereviewError):
    """A stage model file that breaks the stage-model rules (see docs/formats.md)."""


class UnknownStageError(StageModelError, KeyError):
    """A stage key that is not a stage of the model. Also a :class:`KeyError`, so code
    that looks stages up and catches a missing key keeps working."""


class ExtensionError(PipereviewError, RuntimeError):
    """A registered extension (a coaching rule) raised while it ran; the message names
    it and its error. Also a :class:`RuntimeError`, as before it had its own class."""


class AccessError(PipereviewError, PermissionError):
    """A request for what the user may not see: another team on a dashboard locked to
    one. Also a :class:`PermissionError`."""


class ServerError(PipereviewError, RuntimeError):
    """The dashboard server did not start (or stopped while starting); the message
    carries the end of its log. Also a :class:`RuntimeError`."""


class PullError(PipereviewError):
    """A pull from a CRM's API that did not complete: the connector's extra not installed,
    credentials missing or expired, permissions lacking, the rate limit still exhausted
    after the retries, the network down. Nothing was stored."""


class StoreError(PipereviewError):
    """The snapshot store refused an operation."""


class WeekExistsError(StoreError):
    """The week is already stored; pass ``replace=True`` (``--replace``) to overwrite it."""


class WeekNotFoundError(StoreError):
    """The week asked for is not in the store."""


class WeekChangedError(StoreError):
    """The week was stored or changed by another writer between the start of this write
    and its end (compare-and-swap under the store's lock): nothing was written."""


class DamagedWeekError(StoreError):
    """A stored week file that cannot be used: truncated, its bytes differ from the
    checksum recorded when it was written, unreadable, or not a pipereview snapshot."""

    def __init__(self, message: str, *, path: str | Path, hint: str = "", reason: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = Path(path)
        self.reason = reason or message


class StoreBusyError(StoreError):
    """Another pipereview process held the store's lock longer than this one would wait."""


class StoreWarning(UserWarning):
    """A damaged or foreign file in the store, set aside so the intact weeks still work."""


#: What to do about the operating system's errors a user can cause, by ``errno``.
_OS_HINTS: dict[int, str] = {
    errno.ENOSPC: "the disk is full: free some space (or choose a folder on another disk) "
    "and run again; nothing was half-written",
    errno.EDQUOT: "your disk quota is used up: free some space and run again",
    errno.EROFS: "the file system is read-only: choose a folder you can write (--store, "
    "--out) or remount it read-write",
    errno.EACCES: "you lack the permission: check the folder's owner and mode (`ls -ld`), "
    "or choose a folder you can write",
    errno.EPERM: "the operation is not permitted here: check the folder's owner and mode, "
    "or choose another folder",
    errno.ENAMETOOLONG: "a file name is too long for the file system (most allow 255 "
    "bytes per name; a CJK character takes 3): shorten the name "
    "(a team or rep name) or the folder path",
    errno.ENOENT: "check the path: the file or folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "the path is a folder where a file was expected: check the path",
    errno.EMFILE: "too many open files: raise the limit (`ulimit -n`) and run again",
    errno.EIO: "the disk reported an input/output error: check the disk, then run again",
}


class FileSystemError(PipereviewError, OSError):
    """A file or folder could not be read or written: a full disk, a read-only or
    forbidden folder, a name too long. ``path`` and ``errno`` say which and why; also an
    :class:`OSError`, so code that handles the system's errors handles it too.

    >>> import errno
    >>> print(FileSystemError.from_os_error(OSError(errno.ENOSPC, "No space left on device",
    ...                                             "/data/store/x.parquet")))
    cannot write /data/store/x.parquet: No space left on device
    Hint: the disk is full: free some space (or choose a folder on another disk) and run again; nothing was half-written
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        errno: int | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = str(path) if path is not None else None
        self.errno = errno
        self.filename = self.path

    @classmethod
    def from_os_error(
        cls, exc: OSError, *, action: str = "write", path: str | Path | None = None
    ) -> FileSystemError:
        """The clear message for ``exc``: the path, the system's reason, what to do."""
        where = path if path is not None else (exc.filename or "")
        reason = exc.strerror or str(exc) or type(exc).__name__
        hint = _OS_HINTS.get(exc.errno or -1, "check the path and the disk, then run again")
        target = f" {where}" if where else ""
        return cls(
            f"cannot {action}{target}: {reason}", path=where or None, errno=exc.errno, hint=hint
        )

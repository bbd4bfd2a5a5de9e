"""One vocabulary for how a diagnostic groups its rows, and the deprecation of old keywords.

``by`` is always the grouping *level*: ``"team"`` (one row per team) or ``"rep"`` (one row
per rep: team and owner). A function that groups by any columns of the frame takes them as
``group_columns`` (a sequence of column names), and a settings dataclass is always passed
as ``settings``. Keywords and values that said otherwise keep working for one release
with a :class:`DeprecationWarning`.

>>> level_keys("rep")
['team', 'owner']
>>> level_keys("team")
['team']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal, TypeVar

from pipereview.core._errors import InputError

__all__: list[str] = []

#: The grouping level of a diagnostic: one row per team, or one per rep (team and owner).
Level = Literal["team", "rep"]

_T = TypeVar("_T")


def level_keys(by: str, *, owner_alias: str | None = None) -> list[str]:
    """The columns a level groups by: ``["team"]`` or ``["team", "owner"]``.

    ``owner_alias`` names the function of a release that took ``by="owner"`` for reps:
    there that value still works, with a :class:`DeprecationWarning`.
    """
    if by == "owner" and owner_alias is not None:
        warnings.warn(
            f"{owner_alias}(by='owner') is deprecated; pass by='rep'",
            DeprecationWarning,
            stacklevel=3,
        )
        by = "rep"
    if by not in ("team", "rep"):
        raise InputError(
            f"by must be 'team' or 'rep', got {by!r}",
            expected="'team' or 'rep'",
            hint="pass by='team' for one row per team, by='rep' for one per rep",
        )
    return ["team"] if by == "team" else ["team", "owner"]


def renamed(
    function: str, old: str, new: str, old_value: _T | None, value: _T, *, stacklevel: int = 3
) -> _T:
    """``value``, or the one given under the keyword's old name ``old``, which wins (with a
    :class:`DeprecationWarning`).

    >>> renamed("f", "thresholds", "settings", None, 3)
    3
    """
    if old_value is None:
        return value
    warnings.warn(
        f"{function}({old}=...) is deprecated; pass {new}=...",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return old_value


def group_columns_of(
    function: str, by: Sequence[str] | None, group_columns: Sequence[str]
) -> list[str]:
    """The group columns of ``function``: ``group_columns``, or the deprecated ``by`` that
    named them before."""
    return list(renamed(function, "by", "group_columns", by, group_columns, stacklevel=4))

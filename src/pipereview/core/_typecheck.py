"""Checking a configuration value against the type its setting declares.

YAML gives ``"no"`` for a quoted no, ``12`` for twelve and ``[a, b]`` for a list; a setting
declared ``bool`` must get ``true`` or ``false``, never a text that Python would take as
true. :func:`checked` converts what is safe to convert (a whole number where a number is
asked for, a list where a tuple is, text where a path is) and refuses everything else
with what was expected and what was found.

>>> checked(3, float, "risk.band")
3.0
>>> checked("no", bool, "risk.use_team_p75")
Traceback (most recent call last):
...
pipereview.core._typecheck.SettingTypeError: risk.use_team_p75 must be true or false, got 'no' (a text)
Hint: write risk.use_team_p75 as true or false
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipereview.core._errors import ConfigError

__all__ = ["SettingTypeError", "checked", "describe"]


class SettingTypeError(ConfigError):
    """A value of the wrong type or range for its setting: ``key`` names the setting,
    ``expected`` what it takes. A :class:`~pipereview.core._errors.ConfigError`, so also a
    ``ValueError`` as before."""

    def __init__(self, key: str, expected: str, value: Any) -> None:
        super().__init__(
            f"{key} must be {expected}, got {value!r} ({_kind(value)})",
            expected=expected,
            hint=f"write {key} as {expected}",
        )
        self.key, self.value = key, value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a text",
        list: "a list",
        dict: "a mapping",
        datetime.date: "a date",
    }.get(type(value), type(value).__name__)


def describe(hint: Any) -> str:
    """What a value of type ``hint`` is, for people: ``a whole number >= 0``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return "true or false"
    if hint is int:
        return "a whole number >= 0"
    if hint is float:
        return "a number >= 0"
    if hint is str:
        return "a text"
    if hint is Path:
        return "a folder or file path"
    if hint is datetime.date:
        return "a date such as 2026-12-25"
    if origin is typing.Literal:
        names = [repr(a) for a in args]
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    if origin in (typing.Union, types.UnionType):
        described = [describe(a) for a in args if a is not type(None)]
        return " or ".join(described) + (" or nothing (null)" if type(None) in args else "")
    if origin in (tuple, list, frozenset, set):
        return f"a list of {_plural(describe(args[0]))}" if args else "a list"
    if dataclasses.is_dataclass(hint):
        return "a mapping of settings"
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))


def _plural(text: str) -> str:
    return text.removeprefix("a ").removeprefix("an ")


def checked(value: Any, hint: Any, key: str) -> Any:
    """``value`` as setting ``key`` of type ``hint`` takes it (a list becomes a tuple or
    a frozenset, a whole number a float, a text a path or a date); raises
    :class:`SettingTypeError` when it is of another type or a number is negative."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return checked(value, option, key)
            except SettingTypeError:
                continue
        raise SettingTypeError(key, describe(hint), value)
    if origin in (tuple, list, frozenset, set):
        return _sequence(value, hint, key)
    ok, converted = _scalar(value, hint)
    if not ok:
        raise SettingTypeError(key, describe(hint), value)
    return converted


def _scalar(value: Any, hint: Any) -> tuple[bool, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        whole = number and math.isfinite(value) and float(value).is_integer() and value >= 0
        return whole, int(value) if whole else value
    if hint is float:
        return number and math.isfinite(value) and value >= 0, float(value) if number else value
    if hint is str:
        return isinstance(value, str), value
    if hint is Path:
        return isinstance(value, str | Path), Path(value) if isinstance(
            value, str | Path
        ) else value
    if hint is datetime.date:
        return _date(value)
    if origin is typing.Literal:
        return value in args and not (isinstance(value, bool) and True not in args), value
    if dataclasses.is_dataclass(hint):
        return isinstance(value, Mapping | hint), value
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return isinstance(value, Mapping), value
    return True, value


def _date(value: Any) -> tuple[bool, Any]:
    if isinstance(value, datetime.datetime):
        return True, value.date()
    if isinstance(value, datetime.date):
        return True, value
    if isinstance(value, str):
        try:
            return True, datetime.date.fromisoformat(value.strip())
        except ValueError:
            return False, value
    return False, value


def _sequence(value: Any, hint: Any, key: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        items: list[Any] = []
    elif isinstance(value, str) and origin is tuple:
        items = [value]  # one item written without a list
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        raise SettingTypeError(key, describe(hint), value)
    item_hint = args[0] if args else Any
    out = [checked(item, item_hint, f"{key}[{n}]") for n, item in enumerate(items)]
    return (
        frozenset(out)
        if origin in (frozenset, set)
        else (list(out) if origin is list else tuple(out))
    )

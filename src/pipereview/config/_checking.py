"""How each value of a configuration file is checked: against its setting's type, by key
path (``risk.use_team_p75``), with the file named and an example of what is expected; the
sections' settings classes and the coaching rules' thresholds alike.

>>> checked_setting(21, int, "risk.stalled_days", "pipereview.yaml")
21
>>> checked_setting("21", int, "risk.stalled_days", "pipereview.yaml")
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: pipereview.yaml: risk.stalled_days must be a whole number >= 0, got '21' (a text)
Hint: write risk.stalled_days as a whole number >= 0 (e.g. 30); docs/start-analysts.md lists the settings
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from pipereview.core._errors import ConfigError, PipereviewError
from pipereview.core._typecheck import SettingTypeError, checked

__all__ = [
    "RuleReader",
    "checked_setting",
    "file_of",
    "reads_rule_settings_with",
    "rule_thresholds",
    "section_settings",
]


def file_of(source: str) -> str | None:
    return None if source == "configuration" else source


def checked_setting(value: Any, hint: Any, key: str, source: str) -> Any:
    """``value`` as setting ``key`` takes it, or a :class:`ConfigError` naming the file,
    the key path, the type expected and the value found."""
    try:
        return checked(value, hint, key)
    except SettingTypeError as error:
        raise ConfigError(
            f"{source}: {error.message}",
            file=file_of(source),
            expected=error.expected,
            hint=f"write {error.key} as {error.expected} (e.g. "
            f"{_example(error.expected)}); docs/start-analysts.md lists the "
            "settings",
        ) from None


def _example(expected: str) -> str:
    for start, example in (
        ("true or false", "true"),
        ("a whole number", "30"),
        ("a number", "0.5"),
        ("a list", "[a, b]"),
        ("a date", "2026-12-25"),
        ("a mapping", "indented 'name: value' lines"),
        ("'", expected.split(" or ")[0].split(",")[0]),
    ):
        if expected.startswith(start):
            return example
    return "a quoted text"


def section_settings(settings_class: type[Any], values: Any, where: str, source: str) -> Any:
    prefix = f"{source}: "
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"{prefix}{where} must be a mapping of settings, got {values!r}",
            file=file_of(source),
            expected="a mapping of settings",
            hint=f"write {where}: followed by indented 'name: value' lines",
        )
    names = {f.name: f for f in fields(settings_class)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(
            f"{prefix}{where} has no setting {', '.join(map(repr, unknown))}; "
            f"its settings: {', '.join(sorted(names))}",
            file=file_of(source),
            hint=f"check the spelling; docs/start-analysts.md lists the {where} settings",
        )
    hints = typing.get_type_hints(settings_class)
    converted = {}
    for key, value in values.items():
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, Mapping):
            converted[key] = section_settings(hints[key], value, f"{where}.{key}", source)
        else:
            converted[key] = checked_setting(value, hints[key], f"{where}.{key}", source)
    try:
        return settings_class(**converted)
    except PipereviewError as error:
        raise ConfigError(
            f"{prefix}{where}: {error.message}", file=file_of(source), hint=error.hint
        ) from None
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{prefix}{where}: {error}",
            file=file_of(source),
            hint=f"check the {where} settings (docs/start-analysts.md)",
        ) from None


#: How the ``rules`` and ``disabled`` sections are read: each named rule's settings with
#: the rule's defaults. :mod:`pipereview.coaching.registry` sets it when it loads (the
#: rules stand above the configuration, which never imports them; importing
#: ``pipereview`` loads both).
RuleReader = Callable[[Mapping[str, Any], str], dict[str, tuple[dict[str, Any], Mapping[str, Any]]]]
_RULE_READER: list[RuleReader] = []


def reads_rule_settings_with(reader: RuleReader) -> None:
    """Let the configuration read coaching-rule settings with ``reader`` (the coaching
    rule registry calls this once)."""
    _RULE_READER[:] = [reader]


def rule_thresholds(data: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """The coaching-rule thresholds, each checked against the type of the rule's default."""
    if "disabled" in data:
        checked_setting(data["disabled"], list[str], "disabled", source)
    [read] = _RULE_READER
    rules = {}
    for name, (params, defaults) in read(
        {k: data[k] for k in ("rules", "disabled") if k in data}, source
    ).items():
        rules[name] = params
        for key, value in params.items():
            kind = bool if key == "enabled" else type(defaults[key])
            params[key] = checked_setting(value, kind, f"rules.{name}.{key}", source)
    return rules

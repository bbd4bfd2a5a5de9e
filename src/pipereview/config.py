"""One typed, frozen configuration: language, stage model, template folders, sheet charts
and every threshold, read from a YAML file (``--config`` on the command line,
``config=`` in code). Nothing is global: a :class:`Config` is passed to what uses it, and
the defaults are the package's.

>>> config = Config.from_mapping({"lang": "zh", "risk": {"stalled_days": 21},
...                               "rules": {"repeated_pushes": {"push_limit": 3}}})
>>> config.lang, config.risk.stalled_days, config.risk.push_limit
('zh', 21, 2)
>>> config.rule_settings()["repeated_pushes"]
{'push_limit': 3}
>>> Config.from_mapping({"risk": {"stalled": 21}})
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: configuration: risk has no setting 'stalled'; its settings: min_durations, push_limit, stalled_days, use_team_p75
Hint: check the spelling; docs/start-analysts.md lists the risk settings
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from pipereview.core._errors import ConfigError, PipereviewError
from pipereview.core._languages import check_language
from pipereview.core._resources import parse_yaml_mapping
from pipereview.core._typecheck import SettingTypeError, checked
from pipereview.diagnostics._accounts import ABCSettings
from pipereview.diagnostics._aging import RiskSettings
from pipereview.diagnostics._forecast import ForecastSettings
from pipereview.diagnostics._shape import ShapeThresholds
from pipereview.diagnostics._targets import PlanSettings
from pipereview.diagnostics._trends import TrendSettings
from pipereview.history._matching import MatchSettings
from pipereview.ingest._limits import ReadLimits

__all__ = ["SECTIONS", "Config", "load_config", "portable_config", "reads_rule_settings_with",
           "write_config"]

#: The threshold sections of a configuration file and the settings class of each.
SECTIONS: dict[str, type[Any]] = {
    "accounts": ABCSettings,
    "forecast": ForecastSettings,
    "funnel_shape": ShapeThresholds,
    "limits": ReadLimits,
    "matching": MatchSettings,
    "plan": PlanSettings,
    "risk": RiskSettings,
    "trends": TrendSettings,
}
_ATTRIBUTE = {"accounts": "abc", "funnel_shape": "shape", "matching": "match",
              "trends": "trend"}


@dataclass(frozen=True)
class Config:
    """What a run of pipereview is configured with (every field has the package default).

    - ``lang`` (``en``): language of reports, prompts and sheets (``en`` or ``zh``);
    - ``stage_model`` (None): judge process evidence against this model (a registered
      name or a YAML file) instead of each deal's own;
    - ``templates`` (none): user folders (:func:`pipereview.core._registry.use_folder`) whose
      column maps, stage models and prompt templates override the shipped ones;
    - ``charts`` (none): registered charts drawn on each coaching sheet;
    - ``follow_up_days`` (30), ``window_weeks`` (8), ``cohort_weeks`` (13): the coaching
      follow-up and the windows of rate comparisons and cohort conversion;
    - ``risk``, ``shape``, ``forecast``, ``match``, ``trend``, ``plan``, ``abc``: the
      thresholds of each diagnostic (their classes document each field);
    - ``rules``: coaching-rule thresholds by rule (``{"enabled": False}`` turns one off);
    - ``limits``: the largest export ingest reads (:class:`~pipereview.ingest._limits.ReadLimits`).

    Every value of a configuration file is checked against its setting's type (``true``
    or ``false`` for a switch, a whole number for days, a number for a ratio; numbers are
    never negative), and refused with the setting's key path, e.g. ``risk.use_team_p75``.

    Weeks are ISO weeks (Monday to Sunday) throughout: the store is keyed by them, so the
    week start is not a setting.
    """

    lang: Literal["en", "zh"] = "en"
    stage_model: str | None = None
    templates: tuple[Path, ...] = ()
    charts: tuple[str, ...] = ()
    follow_up_days: int = 30
    window_weeks: int = 8
    cohort_weeks: int = 13
    risk: RiskSettings = field(default_factory=RiskSettings)
    shape: ShapeThresholds = field(default_factory=ShapeThresholds)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    trend: TrendSettings = field(default_factory=TrendSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)
    abc: ABCSettings = field(default_factory=ABCSettings)
    limits: ReadLimits = field(default_factory=ReadLimits)
    rules: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        check_language(self.lang)
        for name in ("follow_up_days", "window_weeks", "cohort_weeks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"configuration: {name} must be a whole number of at "
                                  f"least 1, got {value!r}",
                                  hint=f"set {name} to a whole number of weeks or days >= 1")
        frozen = MappingProxyType({str(k): MappingProxyType(dict(v))
                                   for k, v in self.rules.items()})
        object.__setattr__(self, "rules", frozen)
        object.__setattr__(self, "templates", tuple(Path(t) for t in self.templates))
        object.__setattr__(self, "charts", tuple(self.charts))

    def rule_settings(self) -> dict[str, dict[str, Any]]:
        """The coaching-rule thresholds as :func:`pipereview.coaching.coaching_findings`
        takes them."""
        return {name: dict(params) for name, params in self.rules.items()}

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` (the configuration itself never changes)."""
        return dataclasses.replace(self, **changes)

    def use_templates(self) -> None:
        """Register :attr:`templates` (each with :func:`pipereview.core._registry.use_folder`)
        for this process, so stage models and column maps named in stored data resolve."""
        from pipereview.core._registry import use_folder

        for folder in self.templates:
            use_folder(folder)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "configuration",
                     base: Path | None = None) -> Config:
        """A configuration from a mapping (a parsed file); unknown keys, sections, settings
        and rules are refused with the known names. Relative template folders are taken
        from ``base``."""
        known = {f.name for f in fields(cls)} - {"risk", "shape", "forecast", "match",
                                                  "trend", "plan", "abc", "limits", "rules"}
        allowed = known | set(SECTIONS) | {"rules", "disabled"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known keys: "
                              f"{', '.join(sorted(allowed))}", file=_file(source),
                              hint="see docs/start-analysts.md for the configuration file")
        if "lang" in data:
            check_language(data["lang"], source=_file(source))
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {k: _checked(data[k], hints[k], k, source)
                                  for k in sorted(known) if k in data}
        if base is not None:
            values["templates"] = tuple(base / Path(t) for t in values.get("templates", ()))
        for section, settings_class in SECTIONS.items():
            if section in data:
                values[_ATTRIBUTE.get(section, section)] = _settings(
                    settings_class, data[section], section, source)
        if "rules" in data or "disabled" in data:
            values["rules"] = _rules(data, source)
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(error.message.replace("configuration", source, 1),
                              file=_file(source), hint=error.hint) from None


def _file(source: str) -> str | None:
    return None if source == "configuration" else source


def _checked(value: Any, hint: Any, key: str, source: str) -> Any:
    """``value`` as setting ``key`` takes it, or a :class:`ConfigError` naming the file,
    the key path, the type expected and the value found."""
    try:
        return checked(value, hint, key)
    except SettingTypeError as error:
        raise ConfigError(f"{source}: {error.message}", file=_file(source),
                          expected=error.expected,
                          hint=f"write {error.key} as {error.expected} (e.g. "
                          f"{_example(error.expected)}); docs/start-analysts.md lists the "
                          "settings") from None


def _example(expected: str) -> str:
    for start, example in (("true or false", "true"), ("a whole number", "30"),
                           ("a number", "0.5"), ("a list", "[a, b]"), ("a date", "2026-12-25"),
                           ("'", expected.split(" or ")[0].split(",")[0])):
        if expected.startswith(start):
            return example
    return "a quoted text"


def _settings(settings_class: type[Any], values: Any, where: str, source: str) -> Any:
    prefix = f"{source}: "
    if not isinstance(values, Mapping):
        raise ConfigError(f"{prefix}{where} must be a mapping of settings, got {values!r}",
                          file=_file(source), expected="a mapping of settings",
                          hint=f"write {where}: followed by indented 'name: value' lines")
    names = {f.name: f for f in fields(settings_class)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(f"{prefix}{where} has no setting {', '.join(map(repr, unknown))}; "
                          f"its settings: {', '.join(sorted(names))}", file=_file(source),
                          hint=f"check the spelling; docs/start-analysts.md lists the {where} "
                               "settings")
    hints = typing.get_type_hints(settings_class)
    converted = {}
    for key, value in values.items():
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, Mapping):
            converted[key] = _settings(hints[key], value, f"{where}.{key}", source)
        else:
            converted[key] = _checked(value, hints[key], f"{where}.{key}", source)
    try:
        return settings_class(**converted)
    except PipereviewError as error:
        raise ConfigError(f"{prefix}{where}: {error.message}", file=_file(source),
                          hint=error.hint) from None
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{prefix}{where}: {error}", file=_file(source),
                          hint=f"check the {where} settings (docs/start-analysts.md)") from None


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


def _rules(data: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """The coaching-rule thresholds, each checked against the type of the rule's default."""
    if "disabled" in data:
        _checked(data["disabled"], list[str], "disabled", source)
    [read] = _RULE_READER
    rules = {}
    for name, (params, defaults) in read(
            {k: data[k] for k in ("rules", "disabled") if k in data}, source).items():
        rules[name] = params
        for key, value in params.items():
            kind = bool if key == "enabled" else type(defaults[key])
            params[key] = _checked(value, kind, f"rules.{name}.{key}", source)
    return rules


def load_config(path: str | Path) -> Config:
    """The configuration in a YAML file (see docs/start-analysts.md); template folders
    are relative to the file."""
    file = Path(path)
    return Config.from_mapping(_read_mapping(file), source=str(file), base=file.parent)


def _read_mapping(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read configuration file {file}: {error}", file=str(file),
                          hint="check the path; the file must be UTF-8 YAML") from None
    return parse_yaml_mapping(text, str(file), ConfigError, "configuration file")


def portable_config(config: str | Path | None, templates: Sequence[str | Path] = ()
                    ) -> dict[str, Any] | None:
    """The settings of the configuration file ``config`` (checked, so a wrong file is
    refused before any work) with its template folders and ``templates`` as absolute
    paths, as a mapping to write for another process (a batch team's kernel, the served
    dashboard's); None when neither is given.

    >>> portable_config(None) is None
    True
    """
    if config is None and not templates:
        return None
    data = _read_mapping(Path(config)) if config is not None else {}
    checked = (Config.from_mapping(data, source=str(config), base=Path(config).parent)
               if config is not None else Config())
    folders = [str(Path(folder).resolve()) for folder in (*checked.templates, *templates)]
    for folder in folders:
        if not Path(folder).is_dir():
            raise ConfigError(f"templates folder {folder} does not exist", file=folder,
                              hint="pass a folder holding column_maps/, stage_models/ or "
                              "coaching/ (see docs/start-analysts.md)")
    portable: dict[str, Any] = json.loads(json.dumps(data, default=str))  # dates as text
    portable["templates"] = list(dict.fromkeys(folders))
    return portable


def write_config(settings: dict[str, Any], path: str | Path) -> Path:
    """Write ``settings`` (see :func:`portable_config`) as a configuration file, whole or
    not at all; return its path."""
    from pipereview.history._store import atomic_write

    target = Path(path)
    with atomic_write(target, "w", encoding="utf-8") as handle:
        yaml.safe_dump(settings, handle, allow_unicode=True, sort_keys=True)
    return target

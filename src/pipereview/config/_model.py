"""The one configuration of a run: :class:`Config`, its sections (:data:`SECTIONS`, each
a diagnostic's settings class) and how it is written back as a file holds it."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pipereview.config._checking import checked_setting, file_of, rule_thresholds, section_settings
from pipereview.core._errors import ConfigError
from pipereview.core._languages import check_language
from pipereview.core._links import check_record_url
from pipereview.diagnostics._accounts import ABCSettings
from pipereview.diagnostics._activity import ActivitySettings
from pipereview.diagnostics._aging import RiskSettings
from pipereview.diagnostics._benchmarks import Benchmarks
from pipereview.diagnostics._collections import CollectionSettings
from pipereview.diagnostics._forecast import ForecastSettings
from pipereview.diagnostics._leads import LeadSettings
from pipereview.diagnostics._lifecycle import LifecycleSettings
from pipereview.diagnostics._shape import ShapeThresholds
from pipereview.diagnostics._targets import PlanSettings
from pipereview.diagnostics._trends import TrendSettings
from pipereview.forecasting._backtest import BacktestSettings
from pipereview.forecasting._callbias import CallSettings
from pipereview.history._matching import MatchSettings
from pipereview.ingest._limits import ReadLimits

__all__ = ["SECTIONS", "Config"]

#: The threshold sections of a configuration file and the settings class of each.
SECTIONS: dict[str, type[Any]] = {
    "accounts": ABCSettings,
    "activities": ActivitySettings,
    "backtest": BacktestSettings,
    "benchmarks": Benchmarks,
    "collections": CollectionSettings,
    "forecast": ForecastSettings,
    "forecast_calls": CallSettings,
    "funnel_shape": ShapeThresholds,
    "leads": LeadSettings,
    "lifecycle": LifecycleSettings,
    "limits": ReadLimits,
    "matching": MatchSettings,
    "plan": PlanSettings,
    "risk": RiskSettings,
    "trends": TrendSettings,
}
#: The names these sections had as :class:`Config` attributes before they took their
#: file names (still read, with a DeprecationWarning).
_OLD_NAMES = {"abc": "accounts", "shape": "funnel_shape", "match": "matching", "trend": "trends"}


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
    - ``coaching_items`` (5): the most points in a coaching sheet's ranked list (the rest go
      to its appendix);
    - ``coaching_pattern_deals`` (3): when one rule fires on this many of a rep's deals or
      more, the sheet shows one skill-coaching item for the pattern (the deals listed in
      it) instead of one point per deal; at least 2;
    - ``holidays`` (none): ISO dates (``2026-12-25``) that are not working days: a coaching
      follow-up falling on one (or on a weekend) moves to the next working day;
    - ``crm_url`` (none): the address of a deal's record in the CRM, with ``{deal_id}``
      where its ID goes (:func:`pipereview.core.check_record_url`); reports and the
      dashboard then link each deal ID to its record;
    - ``risk``, ``funnel_shape``, ``forecast``, ``matching``, ``trends``, ``plan``,
      ``accounts``: the thresholds of each diagnostic (their classes, :data:`SECTIONS`,
      document each field), named as the sections of a configuration file;
    - ``collections``, ``lifecycle``: when an invoice is overdue, the DSO window and the
      lowest collection rate (:class:`~pipereview.diagnostics._collections.CollectionSettings`);
      where the customer lifecycle stages split
      (:class:`~pipereview.diagnostics._lifecycle.LifecycleSettings`);
    - ``rules``: coaching-rule thresholds by rule (``{"enabled": False}`` turns one off);
    - ``activities``, ``leads``: the windows and bands of activity per rep and of lead
      conversion (:class:`~pipereview.diagnostics._activity.ActivitySettings`,
      :class:`~pipereview.diagnostics._leads.LeadSettings`);
    - ``forecast_calls``: when a rep's forecast call is stale and what makes a bias verdict
      (:class:`~pipereview.forecasting._callbias.CallSettings`);
    - ``backtest``: how the forecast methods are judged and one recommended
      (:class:`~pipereview.forecasting._backtest.BacktestSettings`);
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
    coaching_items: int = 5
    coaching_pattern_deals: int = 3
    holidays: tuple[datetime.date, ...] = ()
    crm_url: str | None = None
    risk: RiskSettings = field(default_factory=RiskSettings)
    funnel_shape: ShapeThresholds = field(default_factory=ShapeThresholds)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    forecast_calls: CallSettings = field(default_factory=CallSettings)
    matching: MatchSettings = field(default_factory=MatchSettings)
    trends: TrendSettings = field(default_factory=TrendSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)
    accounts: ABCSettings = field(default_factory=ABCSettings)
    benchmarks: Benchmarks = field(default_factory=Benchmarks)
    activities: ActivitySettings = field(default_factory=ActivitySettings)
    leads: LeadSettings = field(default_factory=LeadSettings)
    limits: ReadLimits = field(default_factory=ReadLimits)
    collections: CollectionSettings = field(default_factory=CollectionSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    backtest: BacktestSettings = field(default_factory=BacktestSettings)
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        check_language(self.lang)
        for name in ("follow_up_days", "window_weeks", "cohort_weeks", "coaching_items"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"configuration: {name} must be a whole number of at least 1, got {value!r}",
                    hint=f"set {name} to a whole number of weeks or days >= 1",
                )
        pattern = self.coaching_pattern_deals
        if not isinstance(pattern, int) or isinstance(pattern, bool) or pattern < 2:
            raise ConfigError(
                f"configuration: coaching_pattern_deals must be a whole number of at least 2, "
                f"got {pattern!r}",
                hint="set coaching_pattern_deals to the number of a rep's deals (2 or more) "
                "one issue must span to become one skill-coaching item",
            )
        object.__setattr__(self, "holidays", _holidays(self.holidays))
        if self.crm_url is not None:
            check_record_url(self.crm_url)
        frozen = MappingProxyType(
            {str(k): MappingProxyType(dict(v)) for k, v in self.rules.items()}
        )
        object.__setattr__(self, "rules", frozen)
        object.__setattr__(self, "templates", tuple(Path(t) for t in self.templates))
        object.__setattr__(self, "charts", tuple(self.charts))

    def rule_settings(self) -> dict[str, dict[str, Any]]:
        """The coaching-rule thresholds as :func:`pipereview.coaching.coaching_findings`
        takes them."""
        return {name: dict(params) for name, params in self.rules.items()}

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` (the configuration itself never changes).

        >>> Config().replace(lang="zh", trends=TrendSettings(min_deals=3)).trends.min_deals
        3
        """
        for old, new in _OLD_NAMES.items():
            if old in changes:
                _warn_old_name(old)
                changes[new] = changes.pop(old)
        return dataclasses.replace(self, **changes)

    def to_mapping(self) -> dict[str, Any]:
        """The configuration as a configuration file holds it (what :meth:`from_mapping`
        reads back to an equal configuration): only the settings that differ from the
        package defaults, template folders as text.

        >>> Config(lang="zh", risk=RiskSettings(stalled_days=21)).to_mapping()
        {'lang': 'zh', 'risk': {'stalled_days': 21}}
        >>> Config.from_mapping(Config(follow_up_days=14).to_mapping()) == Config(follow_up_days=14)
        True
        """
        return _changed(self, Config())

    @property
    def abc(self) -> ABCSettings:
        """Deprecated name of :attr:`accounts`."""
        _warn_old_name("abc")
        return self.accounts

    @property
    def shape(self) -> ShapeThresholds:
        """Deprecated name of :attr:`funnel_shape`."""
        _warn_old_name("shape")
        return self.funnel_shape

    @property
    def match(self) -> MatchSettings:
        """Deprecated name of :attr:`matching`."""
        _warn_old_name("match")
        return self.matching

    @property
    def trend(self) -> TrendSettings:
        """Deprecated name of :attr:`trends`."""
        _warn_old_name("trend")
        return self.trends

    def use_templates(self) -> None:
        """Register :attr:`templates` (each with :func:`pipereview.core._registry.use_folder`)
        for this process, so stage models and column maps named in stored data resolve."""
        from pipereview.core._registry import use_folder

        for folder in self.templates:
            use_folder(folder)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str = "configuration", base: Path | None = None
    ) -> Config:
        """A configuration from a mapping (a parsed file); unknown keys, sections, settings
        and rules are refused with the known names. Relative template folders are taken
        from ``base``."""
        known = {f.name for f in fields(cls)} - set(SECTIONS) - {"rules"}
        allowed = known | set(SECTIONS) | {"rules", "disabled"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) {', '.join(unknown)}; known keys: "
                f"{', '.join(sorted(allowed))}",
                file=file_of(source),
                hint="see docs/start-analysts.md for the configuration file",
            )
        if "lang" in data:
            check_language(data["lang"], source=file_of(source))
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {
            k: checked_setting(data[k], hints[k], k, source) for k in sorted(known) if k in data
        }
        if base is not None:
            values["templates"] = tuple(base / Path(t) for t in values.get("templates", ()))
        for section, settings_class in SECTIONS.items():
            if section in data:
                values[section] = section_settings(settings_class, data[section], section, source)
        if "rules" in data or "disabled" in data:
            values["rules"] = rule_thresholds(data, source)
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(
                error.message.replace("configuration", source, 1),
                file=file_of(source),
                hint=error.hint,
            ) from None


def _changed(value: Any, default: Any) -> dict[str, Any]:
    """The fields of the dataclass ``value`` that differ from ``default``'s, as plain
    mappings, lists and text (nested settings recursively)."""
    out: dict[str, Any] = {}
    for item in fields(value):
        mine, theirs = getattr(value, item.name), getattr(default, item.name)
        if mine == theirs:
            continue
        if dataclasses.is_dataclass(mine):
            out[item.name] = _changed(mine, theirs)
        elif isinstance(mine, Mapping):
            out[item.name] = {
                str(k): dict(v) if isinstance(v, Mapping) else v for k, v in mine.items()
            }
        elif isinstance(mine, tuple):
            out[item.name] = [str(v) if isinstance(v, Path) else v for v in mine]
        elif isinstance(mine, frozenset | set):
            out[item.name] = sorted(mine)
        else:
            out[item.name] = mine
    return out


def _holidays(values: Any) -> tuple[datetime.date, ...]:
    """``values`` as sorted dates (ISO texts read), or a :class:`ConfigError` naming the
    first value that is not a date."""
    if isinstance(values, str | datetime.date):
        values = [values]
    out = set()
    for value in values:
        if isinstance(value, datetime.datetime):
            value = value.date()
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(value.strip())
        if not isinstance(value, datetime.date):
            raise ConfigError(
                f"configuration: holidays must be a list of dates, got {value!r}",
                expected="a list of ISO dates",
                hint="write each holiday as year-month-day, e.g. holidays: [2026-12-25, 2027-01-01]",
            )
        out.add(value)
    return tuple(sorted(out))


def _warn_old_name(old: str) -> None:
    warnings.warn(
        f"Config.{old} is now Config.{_OLD_NAMES[old]}, the name of its section in "
        "a configuration file",
        DeprecationWarning,
        stacklevel=3,
    )

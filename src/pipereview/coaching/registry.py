"""The coaching-rule registry: built-in and user rules register the same way.

A rule is a function ``(context, params) -> DataFrame``: it reads diagnostics from a
:class:`~pipereview.week.WeekDiagnostics` and returns one row per finding
(any of :data:`~pipereview.coaching.findings.FINDING_COLUMNS`). ``params`` are the rule's
thresholds: its declared defaults, overridden from YAML (:func:`load_rule_settings`).

>>> @register_rule("big_deal_example", kind="risk", coaching="opportunity", scope="deal",
...                defaults={"min_amount": 1_000_000}, replace=True)
... def big_deal(context, params):
...     deals = context.open_deals
...     big = deals[deals["amount"] >= params["min_amount"]]
...     return big.assign(metric="amount", value=big["amount"], severity=1)
>>> get_rule("big_deal_example").defaults
{'min_amount': 1000000}
>>> unregister_rule("big_deal_example")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipereview.coaching._rulekit import follow_up_by, one_run
from pipereview.coaching.findings import (
    FINDING_COLUMNS,
    Coaching,
    Kind,
    Scope,
    finding_columns,
    frame_findings,
    rank_findings,
)
from pipereview.config import reads_rule_settings_with
from pipereview.core._errors import ConfigError, ExtensionError, PipereviewError
from pipereview.core._registry import Registry
from pipereview.core._resources import parse_yaml_mapping

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__ = [
    "ENTRY_POINT_GROUP",
    "Rule",
    "coaching_findings",
    "coaching_rules",
    "get_rule",
    "load_rule_settings",
    "register_rule",
    "rule_names",
    "rule_settings_from_mapping",
    "unregister_rule",
]

RuleFunction = Callable[["WeekDiagnostics", Mapping[str, Any]], pd.DataFrame]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its function, what it finds and its default thresholds."""

    name: str
    function: RuleFunction
    kind: Kind
    coaching: Coaching
    scope: Scope
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def run(
        self, context: WeekDiagnostics, params: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """The rule's findings (columns :data:`FINDING_COLUMNS`) with ``params`` over the
        defaults; a risk's evidence holds ``by``, the follow-up day its agreed target is
        measured by (:func:`pipereview.coaching._rulekit.follow_up_by`)."""
        return frame_findings([self.columns(context, params)])

    def columns(
        self, context: WeekDiagnostics, params: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """The findings of :meth:`run` as columns not yet framed
        (:func:`~pipereview.coaching.findings.finding_columns`)."""
        merged = {**self.defaults, **(params or {})}
        rows = self.function(context, merged)
        out = finding_columns(
            rows, rule=self.name, kind=self.kind, coaching=self.coaching, scope=self.scope
        )
        evidence = out["evidence"]
        if self.kind == "risk" and len(evidence):  # the date every agreed target is measured by
            config = context.config
            by = follow_up_by(context.week, config.follow_up_days, config.holidays)
            evidence[:] = [{**e, "by": e.get("by") or by} for e in evidence]
        return out


def _builtin_rules() -> None:
    from pipereview.coaching import rules  # noqa: F401  (defines the built-in rules)
    from pipereview.coaching._rulekit import BUILTIN_RULES

    for name, function, settings in BUILTIN_RULES:
        register_rule(name, **{**settings, "replace": True})(function)


#: Entry-point group of installed plug-ins; loading an entry point registers its rules.
ENTRY_POINT_GROUP = "pipereview.rules"


def _as_rule(item: object, name: str) -> Rule:
    if not isinstance(item, Rule):
        raise ConfigError(
            f"coaching rule {name!r}: expected a function decorated with "
            f"register_rule, got {type(item).__name__}",
            hint="decorate the rule with pipereview.coaching.register_rule",
        )
    return item


#: The coaching rules: built-in ones, installed plug-ins' (entry-point group
#: ``pipereview.rules``: a module whose import registers its rules) and yours.
coaching_rules: Registry[Rule] = Registry(
    "coaching rule",
    group=ENTRY_POINT_GROUP,
    coerce=_as_rule,
    setup=_builtin_rules,
    hint="register it with pipereview.coaching.register_rule",
)


def register_rule(
    name: str,
    *,
    kind: Kind,
    coaching: Coaching,
    scope: Scope,
    defaults: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> Callable[[RuleFunction], RuleFunction]:
    """Decorator registering a rule under ``name`` (a template file of the same name in
    each language renders its prompts). Registering a taken name raises ``ConfigError``
    unless ``replace=True``. The function's docstring is the rule's description."""

    def decorate(function: RuleFunction) -> RuleFunction:
        coaching_rules.register(
            name,
            Rule(
                name,
                function,
                kind,
                coaching,
                scope,
                dict(defaults or {}),
                (function.__doc__ or "").strip().split("\n\n")[0],
            ),
            replace=replace,
            source="shipped"
            if (getattr(function, "__module__", None) or "").startswith("pipereview.")
            else "code",
        )
        return function

    return decorate


def unregister_rule(name: str) -> None:
    """Remove a registered rule (no error when absent)."""
    coaching_rules.unregister(name)


def rule_names() -> list[str]:
    """Names of every registered rule, built-in ones included, sorted."""
    return coaching_rules.names()


def get_rule(name: str) -> Rule:
    """The rule registered under ``name``; ``ConfigError`` listing the known names if none."""
    return coaching_rules.get(name)


def load_rule_settings(path: str | Path) -> dict[str, dict[str, Any]]:
    """Rule thresholds from a YAML file: ``rules: {<rule>: {<param>: value}}`` and an
    optional ``disabled: [<rule>, ...]`` (stored as ``{<rule>: {"enabled": False}}``).

    Unknown rules and unknown parameters are refused with the file, the name and the
    known names, so a typo never silently leaves a default in place.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"cannot read coaching settings {file}: {error.strerror}",
            file=str(file),
            hint="check the path; the file must be UTF-8 YAML",
        ) from None
    data = parse_yaml_mapping(text, str(file), ConfigError, "coaching settings file")
    extra = set(data) - {"rules", "disabled"}
    if extra:
        raise ConfigError(
            f"{file}: unknown key(s) {', '.join(sorted(extra))}; expected 'rules' and 'disabled'",
            file=str(file),
            hint="a coaching settings file holds only 'rules:' and 'disabled:' (docs/coaching.md)",
        )
    return rule_settings_from_mapping(data, str(file))


def rule_settings_from_mapping(data: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """Rule thresholds from the ``rules`` and ``disabled`` entries of a parsed settings
    or configuration file named ``source`` (checked as :func:`load_rule_settings` says)."""
    out: dict[str, dict[str, Any]] = {}
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError(
            f"{source}: 'rules' must map rule names to their thresholds",
            file=source,
            hint="write rules: followed by indented '<rule>: {<threshold>: <value>}' lines",
        )
    for name, params in rules.items():
        rule = _known(str(name), source)
        params = params or {}
        if not isinstance(params, dict):
            raise ConfigError(
                f"{source}: rules.{name} must be a mapping of thresholds",
                file=source,
                hint="write rules.<rule> as indented '<threshold>: <value>' lines",
            )
        unknown = set(params) - set(rule.defaults) - {"enabled"}
        if unknown:
            raise ConfigError(
                f"{source}: rule {name!r} has no threshold(s) {', '.join(sorted(unknown))}; "
                f"its thresholds: {', '.join(sorted(rule.defaults)) or 'none'}",
                file=source,
                hint="check the spelling; `pipereview rules` lists each rule's thresholds",
            )
        out[str(name)] = dict(params)
    for name in data.get("disabled") or []:
        _known(str(name), source)
        out.setdefault(str(name), {})["enabled"] = False
    return out


def _known(name: str, source: str) -> Rule:
    try:
        return get_rule(name)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error.message}", file=source, hint=error.hint) from None


def coaching_findings(
    context: WeekDiagnostics,
    *,
    rules: Iterable[str] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Run ``rules`` (default: every registered rule) over ``context``; one frame of
    findings ranked by :func:`~pipereview.coaching.findings.rank_findings`.

    ``settings`` maps a rule name to threshold overrides (``{"enabled": False}`` skips
    it), e.g. the result of :func:`load_rule_settings`. A rule that raises is reported
    with its name, never skipped silently.
    """
    settings = settings if settings is not None else context.config.rule_settings()
    parts = []
    with one_run():  # a figure several rules read is computed once
        for name in sorted(rules) if rules is not None else rule_names():
            rule = get_rule(name)
            params = dict(settings.get(name, {}))
            if not params.pop("enabled", True):
                continue
            try:
                parts.append(rule.columns(context, params))
            except Exception as error:
                reason = (
                    error.message
                    if isinstance(error, PipereviewError)
                    else (str(error) or type(error).__name__)
                )
                raise ExtensionError(
                    f"coaching rule {name!r} failed: {reason}",
                    hint=getattr(error, "hint", "")
                    or f"fix the rule's code, or turn it off with "
                    f"'disabled: [{name}]' in the configuration file (docs/coaching.md)",
                ) from error
    if not parts:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    return rank_findings(frame_findings(parts))


def _rules_for_config(
    data: Mapping[str, Any], source: str
) -> dict[str, tuple[dict[str, Any], Mapping[str, Any]]]:
    """Each rule's settings in a configuration's ``rules``/``disabled``, with its defaults."""
    return {
        name: (params, get_rule(name).defaults)
        for name, params in rule_settings_from_mapping(data, source).items()
    }


reads_rule_settings_with(_rules_for_config)

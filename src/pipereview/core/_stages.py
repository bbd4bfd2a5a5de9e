"""Stage models: the ordered stages of a sales process and what each stage requires.

A stage model is a YAML file (format in ``docs/formats.md``). Four ship with pipereview:
``industrial_b2b`` (the six-step industrial B2B process), ``generic_4`` (the generic
four-stage process), ``salesforce`` and ``hubspot`` (those CRMs' default pipelines).

>>> model = load_stage_model("generic_4")
>>> [s.key for s in model.open_stages]
['initial_contact', 'needs_confirmed', 'solution_quote', 'negotiation']
>>> model.stage_key("Develop"), model.stage_key("谈判签约"), model.stage_key("Closed Won")
('needs_confirmed', 'negotiation', 'won')
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipereview.core._errors import PipereviewError, StageModelError, UnknownStageError
from pipereview.core._languages import check_language
from pipereview.core._resources import (
    load_named,
    parse_yaml_mapping,
    validate_model,
    yaml_registry,
)
from pipereview.core._text import normalize_label

__all__ = [
    "EVIDENCE_FIELDS",
    "EVIDENCE_FLAG_FIELDS",
    "EVIDENCE_TEXT_FIELDS",
    "Criterion",
    "Stage",
    "StageModel",
    "bind_stage_models",
    "load_stage_model",
    "prevailing_model",
    "stage_model_names",
    "stage_models",
]

#: Evidence fields that hold a name (met when not blank).
EVIDENCE_TEXT_FIELDS: tuple[str, ...] = ("coach", "competitor", "decision_maker")
#: Evidence fields that hold a yes/no flag.
EVIDENCE_FLAG_FIELDS: tuple[str, ...] = (
    "budget_confirmed",
    "contract_risk_reviewed",
    "customer_background",
    "deal_team_assigned",
    "need_confirmed",
    "quote_sent",
    "relationship_mapped",
    "senior_meeting_done",
    "site_visit_done",
    "solution_presented",
    "strategy_documented",
    "technical_exchange_done",
    "tender_submitted",
    "timeline_confirmed",
    "verbal_commitment",
)
#: Every evidence field a stage model's exit criteria may name.
EVIDENCE_FIELDS: tuple[str, ...] = tuple(sorted(EVIDENCE_TEXT_FIELDS + EVIDENCE_FLAG_FIELDS))

_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Criterion(_Frozen):
    """One exit criterion: an evidence field that must be met, with its labels."""

    field: str = Field(pattern=_KEY_PATTERN)
    label: dict[str, str]


class Stage(_Frozen):
    """One stage of a process; closed stages carry ``outcome`` won or lost."""

    key: str = Field(pattern=_KEY_PATTERN)
    label: dict[str, str]
    probability: float = Field(ge=0.0, le=1.0)
    typical_days: int | None = Field(default=None, gt=0)
    exit_criteria: tuple[Criterion, ...] = ()
    aliases: tuple[str, ...] = ()
    outcome: Literal["won", "lost"] | None = None

    @property
    def is_open(self) -> bool:
        """True for stages where a deal is still being worked."""
        return self.outcome is None

    def label_in(self, lang: str) -> str:
        """The stage's label in ``lang`` ('zh' or 'en'), falling back to English, then key."""
        check_language(lang)
        return self.label.get(lang) or self.label.get("en") or self.key


class StageModel(_Frozen):
    """An ordered sales process. Construct with :func:`load_stage_model`."""

    name: str = Field(pattern=_KEY_PATTERN)
    label: dict[str, str]
    description: str = ""
    stages: tuple[Stage, ...]

    @model_validator(mode="after")
    def _check_rules(self) -> StageModel:
        keys = [s.key for s in self.stages]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"stage keys must be unique; repeated: {duplicates}")
        won = [s.key for s in self.stages if s.outcome == "won"]
        lost = [s.key for s in self.stages if s.outcome == "lost"]
        if len(won) != 1 or not lost:
            raise ValueError(
                f"exactly one stage needs 'outcome: won' (found {won}) and at least one "
                f"'outcome: lost' (found {lost})"
            )
        open_stages = [s for s in self.stages if s.is_open]
        if not open_stages:
            raise ValueError("a model needs at least one open stage")
        seen_closed = False
        for stage in self.stages:
            if not stage.is_open:
                seen_closed = True
                if stage.exit_criteria or stage.typical_days is not None:
                    raise ValueError(
                        f"closed stage {stage.key!r} must have no exit_criteria and no typical_days"
                    )
            elif seen_closed:
                raise ValueError(f"open stage {stage.key!r} comes after a closed stage")
        for before, after in itertools.pairwise(open_stages):
            if after.probability < before.probability:
                raise ValueError(
                    f"open-stage probabilities must not decrease: {before.key!r} "
                    f"{before.probability} > {after.key!r} {after.probability}"
                )
        owner: dict[str, str] = {}
        for stage in self.stages:
            names = {normalize_label(n) for n in (stage.key, *stage.label.values(), *stage.aliases)}
            for name in names:
                if name in owner and owner[name] != stage.key:
                    raise ValueError(
                        f"alias {name!r} belongs to both {owner[name]!r} and {stage.key!r}"
                    )
                owner[name] = stage.key
        return self

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """Open stages in process order."""
        return tuple(s for s in self.stages if s.is_open)

    @property
    def won_stage(self) -> Stage:
        """The single stage that means the deal was won."""
        return next(s for s in self.stages if s.outcome == "won")

    @property
    def lost_stages(self) -> tuple[Stage, ...]:
        """Stages that mean the deal was lost."""
        return tuple(s for s in self.stages if s.outcome == "lost")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every stage key, in process order."""
        return tuple(s.key for s in self.stages)

    def stage(self, key: str) -> Stage:
        """The stage with this key; an :class:`UnknownStageError` (also a ``KeyError``)
        naming the known keys otherwise."""
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise UnknownStageError(
            f"{key!r} is not a stage of {self.name!r}; known: {list(self.keys)}",
            hint=f"use one of the keys of stage model {self.name!r} (`pipereview models "
            f"--show {self.name}` lists them), or add {key!r} to the model as an alias",
        )

    def alias_table(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Normalised stage name -> stage key, including keys, labels and ``extra`` aliases."""
        table: dict[str, str] = {}
        for stage in self.stages:
            for name in (stage.key, *stage.label.values(), *stage.aliases):
                table[normalize_label(name)] = stage.key
        for alias, key in (extra or {}).items():
            self.stage(key)
            table[normalize_label(alias)] = key
        return table

    def stage_key(self, name: str) -> str | None:
        """The key a CRM stage name stands for, or None when the model does not know it."""
        return self._aliases.get(normalize_label(name))

    @cached_property
    def _aliases(self) -> dict[str, str]:
        return self.alias_table()

    def known_names(self) -> list[str]:
        """What a user may write for each stage: the first alias or the English label."""
        return [s.aliases[0] if s.aliases else s.label_in("en") for s in self.stages]


def prevailing_model(names: Iterable[object]) -> StageModel | None:
    """The stage model most of ``names`` (e.g. a team's deals' ``stage_model`` column)
    name, the first alphabetically on a tie; None when there are none.

    >>> prevailing_model(["hubspot", "generic_4", "generic_4"]).name
    'generic_4'
    """
    counts = Counter(str(name) for name in names if isinstance(name, str) and name)
    if not counts:
        return None
    return load_stage_model(min(counts, key=lambda name: (-counts[name], name)))


def stage_model_names() -> list[str]:
    """Names of the shipped stage models.

    >>> stage_model_names()
    ['generic_4', 'hubspot', 'industrial_b2b', 'salesforce']
    """
    return stage_models.names()


def load_stage_model(name_or_path: str | Path) -> StageModel:
    """Load a stage model by name, or a user's model from a YAML file.

    A name stands for the model the history being read was ingested with (recorded in
    the store, see :func:`bind_stage_models`), else the shipped or registered one.
    Raises :class:`StageModelError` naming the file and each broken rule.
    """
    if isinstance(name_or_path, str) and (bound := _BOUND.get(name_or_path)) is not None:
        return bound
    return load_named(stage_models, name_or_path, _parse_stage_model, StageModelError)


#: The stage models of the store being read whose definitions the registry lacks or holds
#: in another version (see :func:`bind_stage_models`).
_BOUND: dict[str, StageModel] = {}


def bind_stage_models(models: Iterable[StageModel]) -> None:
    """Make ``models`` (the definitions a store recorded, read with its history) what their
    names stand for in :func:`load_stage_model`, in place of those of the store read
    before; a model the registry holds in the same version is left to the registry.

    >>> mine = load_stage_model("generic_4").model_copy(update={"name": "mine"})
    >>> bind_stage_models([mine]); load_stage_model("mine").name
    'mine'
    >>> bind_stage_models([]); "mine" in stage_models
    False
    """
    chosen = {}
    for model in models:
        try:
            known: StageModel | None = stage_models.get(model.name)
        except PipereviewError:
            known = None
        if known != model:
            chosen[model.name] = model
    if chosen != _BOUND:
        _BOUND.clear()
        _BOUND.update(chosen)


@cache
def _parse_stage_model(text: str, source: str) -> StageModel:
    data = parse_yaml_mapping(text, source, StageModelError, "stage model")
    return validate_model(StageModel, data, source, StageModelError, "stage model")


#: The stage models registry: shipped, plug-in (entry-point group ``pipereview.stage_models``) and
#: user-folder stage models by name (see :mod:`pipereview.core._registry`).
stage_models = yaml_registry("stage_models", StageModel, _parse_stage_model, StageModelError)

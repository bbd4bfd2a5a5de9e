"""What a stored week was ingested with: the full stage models and column maps, each with a
version (the SHA-256 of its definition), recorded in the week's file so the store describes
itself and a user's own model never needs registering again to read it.

>>> from pipereview.core._stages import load_stage_model
>>> record = week_record([load_stage_model("generic_4")], [])
>>> sorted(record["stage_models"]), len(record["stage_models"]["generic_4"]["version"])
(['generic_4'], 64)
>>> definitions_of(record).stage_models["generic_4"] == load_stage_model("generic_4")
True

A week stored before weeks recorded their definitions (a store of an earlier pipereview)
is read with the definitions of the same name found elsewhere in the store, else the
shipped or registered ones; ``pipereview verify --repair`` records them in the week.
Two weeks of one store that recorded different versions of the same-named stage model are
never mixed: reading the store raises :class:`DefinitionsConflictError` naming both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipereview.core._errors import PipereviewError, StoreError
from pipereview.core._stages import StageModel, bind_stage_models
from pipereview.ingest._columnmaps import ColumnMap

if TYPE_CHECKING:
    from pipereview.history._store import SnapshotStore

__all__ = [
    "ATTRS_KEY",
    "Definitions",
    "DefinitionsConflictError",
    "adopt",
    "attach",
    "checked_record",
    "definition_version",
    "definitions_of",
    "merge_weeks",
    "snapshot_record",
    "store_definitions",
    "week_record",
]

#: The key of a history frame's ``attrs`` holding its definitions (JSON text: it travels
#: with the frame into the Parquet files the batch and ``serve`` hand to their kernels).
ATTRS_KEY = "pipereview_definitions"
#: The format of the record kept in a week's metadata under ``definitions``.
RECORD_FORMAT = 1


class DefinitionsConflictError(StoreError):
    """Stored weeks recorded different versions of one stage model under one name."""


def definition_version(model: StageModel | ColumnMap) -> str:
    """The version of a definition: the SHA-256 of its canonical JSON (the same for the
    same stages, labels, probabilities and aliases, wherever the file lives).

    >>> from pipereview.core._stages import load_stage_model
    >>> definition_version(load_stage_model("generic_4")) == definition_version(
    ...     load_stage_model("generic_4"))
    True
    """
    text = json.dumps(
        model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def week_record(models: Iterable[StageModel], maps: Iterable[ColumnMap]) -> dict[str, Any]:
    """The record a week keeps of the stage models and column maps it was ingested with."""
    return {
        "format": RECORD_FORMAT,
        "stage_models": {
            m.name: {"version": definition_version(m), "definition": m.model_dump(mode="json")}
            for m in sorted(models, key=lambda m: m.name)
        },
        "column_maps": {
            m.name: {"version": definition_version(m), "definition": m.model_dump(mode="json")}
            for m in sorted(maps, key=lambda m: m.name)
        },
    }


@dataclass(frozen=True)
class Definitions:
    """The stage models and column maps of a week or a store, by name, with the weeks each
    version came from and the weeks that recorded none (read with fallbacks)."""

    stage_models: dict[str, StageModel] = field(default_factory=dict)
    column_maps: dict[str, ColumnMap] = field(default_factory=dict)
    weeks: dict[str, list[str]] = field(default_factory=dict)
    unrecorded: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """As :func:`week_record`."""
        return week_record(self.stage_models.values(), self.column_maps.values())

    @cached_property
    def text(self) -> str:
        """The record as compact JSON (what a history frame's ``attrs`` carry)."""
        return json.dumps(self.record(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def definitions_of(record: Mapping[str, Any]) -> Definitions:
    """The definitions a week's record holds (:class:`StoreError` when it is unreadable)."""
    try:
        models = {
            name: StageModel.model_validate(entry["definition"])
            for name, entry in dict(record.get("stage_models") or {}).items()
        }
        maps = {
            name: ColumnMap.model_validate(entry["definition"])
            for name, entry in dict(record.get("column_maps") or {}).items()
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"a stored week's record of its stage models is unreadable ({exc})",
            hint="store the week again from its exports with --replace",
        ) from None
    return Definitions(models, maps)


def merge_weeks(
    per_week: Mapping[str, Definitions | None],
    fallback: Mapping[str, StageModel] | None = None,
    *,
    outcome: str = "so nothing is read",
) -> Definitions:
    """The definitions of a whole store from each week's (``None``: a week that recorded
    none, read with ``fallback``, the shipped or registered models of the names it uses).
    Raises :class:`DefinitionsConflictError` when two weeks recorded different versions of
    one stage model (its message ends with ``outcome``).

    >>> from pipereview.core._stages import load_stage_model
    >>> g4 = load_stage_model("generic_4")
    >>> other = g4.model_copy(update={"stages": g4.stages[1:]})
    >>> merge_weeks({"2026-W46": Definitions({"generic_4": g4}),
    ...              "2026-W47": Definitions({"generic_4": other})})
    Traceback (most recent call last):
    ...
    pipereview.history._definitions.DefinitionsConflictError: two versions of stage model 'generic_4' meet in the store: week 2026-W46 with version ..., week 2026-W47 with version ... (stages initial_contact in only one of them); a review mixing them would compare deals judged by different stages, so nothing is read
    Hint: ...
    """
    seen: dict[str, dict[str, tuple[StageModel, list[str]]]] = {}
    maps: dict[str, ColumnMap] = {}
    for week, found in sorted(per_week.items()):
        if found is None:
            continue
        for name, model in found.stage_models.items():
            entry = seen.setdefault(name, {}).setdefault(definition_version(model), (model, []))
            entry[1].append(week)
        maps.update(found.column_maps)
    for name, versions in seen.items():
        if len(versions) > 1:
            raise _conflict(name, list(versions.values()), outcome)
    models = {name: next(iter(v.values()))[0] for name, v in seen.items()}
    weeks = {name: next(iter(v.values()))[1] for name, v in seen.items()}
    unrecorded = tuple(sorted(w for w, found in per_week.items() if found is None))
    for name, model in (fallback or {}).items():
        models.setdefault(name, model)
    return Definitions(models, maps, weeks, unrecorded)


def _conflict(
    name: str, versions: list[tuple[StageModel, list[str]]], outcome: str
) -> DefinitionsConflictError:
    (first, first_weeks), (second, second_weeks) = versions[0], versions[1]
    return DefinitionsConflictError(
        f"two versions of stage model {name!r} meet in the store: "
        f"{_weeks(first_weeks)} with version {definition_version(first)[:12]}, "
        f"{_weeks(second_weeks)} with version {definition_version(second)[:12]} "
        f"({_difference(first, second)}); a review mixing them would compare deals judged "
        f"by different stages, {outcome}",
        hint=f"store the weeks of one version again with the other's model file "
        f"(`pipereview ingest FILES --week WEEK --model FILE --replace`), or give the changed "
        f"model a name of its own (e.g. name: {name}_v2) and ingest those weeks with it",
    )


def _weeks(weeks: list[str]) -> str:
    shown = ", ".join(weeks[:3]) + (f" and {len(weeks) - 3} more" if len(weeks) > 3 else "")
    return f"week{'s' if len(weeks) > 1 else ''} {shown}"


def _difference(first: StageModel, second: StageModel) -> str:
    """What differs between two versions of a model, in a few words."""
    if first.keys != second.keys:
        only = sorted(set(first.keys) ^ set(second.keys))
        return (
            "stages " + ", ".join(only) + " in only one of them"
            if only
            else "the same stages in another order"
        )
    for a, b in zip(first.stages, second.stages, strict=True):
        if a != b:
            one, two = a.model_dump(), b.model_dump()
            fields = [f for f in one if one[f] != two[f]]
            shown = [
                f"{f} {one[f]} → {two[f]}" if f in ("probability", "typical_days") else f
                for f in fields
            ]
            return f"stage {a.key}: {', '.join(shown)}"
    return "their labels or description"


# --- a history frame carries its definitions ---------------------------------------------


def attach(frame: pd.DataFrame, definitions: Definitions) -> pd.DataFrame:
    """``frame`` carrying ``definitions`` in its ``attrs`` (in place; returned)."""
    frame.attrs[ATTRS_KEY] = definitions.text
    return frame


def adopt(frame: pd.DataFrame | Definitions) -> None:
    """Make the stage models a history frame carries (or ``definitions``) the ones its
    stage-model names stand for in this process (see
    :func:`~pipereview.core._stages.bind_stage_models`); a frame carrying none changes nothing.

    >>> adopt(pd.DataFrame())
    """
    if isinstance(frame, Definitions):
        if frame.text != _ADOPTED[0]:
            bind_stage_models(frame.stage_models.values())
            _ADOPTED[0] = frame.text
        return
    text = frame.attrs.get(ATTRS_KEY)
    if isinstance(text, str) and text and text != _ADOPTED[0]:
        bind_stage_models(_parsed(text))
        _ADOPTED[0] = text


#: The definitions adopted last (adopting them again changes nothing).
_ADOPTED = [""]


@cache
def _parsed(text: str) -> tuple[StageModel, ...]:
    return tuple(definitions_of(json.loads(text)).stage_models.values())


# --- a store's definitions ---------------------------------------------------------------


def snapshot_record(
    snapshot: pd.DataFrame, models: Iterable[StageModel] = (), maps: Iterable[ColumnMap] = ()
) -> dict[str, Any]:
    """The record of a week about to be stored: ``models`` (those it was ingested with),
    and for every other stage-model name its rows carry, the model that name stands for
    now (a name nothing defines is left out: reading the week then names it).

    >>> frame = pd.DataFrame({"stage_model": ["generic_4"]})
    >>> sorted(snapshot_record(frame)["stage_models"])
    ['generic_4']
    """
    from pipereview.core._stages import load_stage_model

    chosen = {m.name: m for m in models}
    for name in pd.unique(snapshot["stage_model"].astype("str")) if len(snapshot) else []:
        if name not in chosen:
            try:
                model = load_stage_model(str(name))
            except PipereviewError:
                continue
            chosen.setdefault(model.name, model)
    return week_record(chosen.values(), maps)


def checked_record(
    snapshot: pd.DataFrame, record: Mapping[str, Any] | None, week: str
) -> dict[str, Any]:
    """``record`` (what an ingest says the week was ingested with), refused with
    :class:`StoreError` when it lacks a stage model the rows name; without one, the
    :func:`snapshot_record` of the rows.

    >>> frame = pd.DataFrame({"stage_model": ["generic_4"]})
    >>> checked_record(frame, week_record([], []), "2026-W47")
    Traceback (most recent call last):
    ...
    pipereview.core._errors.StoreError: the snapshot of 2026-W47 names stage model(s) generic_4 its record of definitions lacks; nothing was written
    Hint: ...
    """
    if record is None:
        return snapshot_record(snapshot)
    unrecorded = sorted(
        n
        for n in set(snapshot["stage_model"].astype("str")) - set(record.get("stage_models") or {})
        if n.replace("_", "").isalnum()
    )
    if unrecorded:
        raise StoreError(
            f"the snapshot of {week} names stage model(s) "
            f"{', '.join(unrecorded)} its record of definitions lacks; "
            "nothing was written",
            hint="record every model the rows name",
        )
    return dict(record)


def store_definitions(store: SnapshotStore, weeks: Iterable[str]) -> Definitions:
    """The definitions ``weeks`` of ``store`` recorded, merged (see :func:`merge_weeks`);
    a week that recorded none is read with the same-named models other weeks recorded,
    else the shipped or registered ones (:class:`StoreError` when there are none)."""
    from pipereview.core._stages import stage_models

    per_week: dict[str, Definitions | None] = {}
    for week in weeks:
        record = store.info(week).get("definitions")
        per_week[week] = definitions_of(record) if isinstance(record, Mapping) else None
    recorded = merge_weeks(per_week)
    fallback: dict[str, StageModel] = {}
    for week in recorded.unrecorded:
        names = store.read(week, columns=["stage_model"], adopt=False)["stage_model"]
        for name in sorted(set(names.dropna().astype("str"))):
            if name in recorded.stage_models or name in fallback:
                continue
            try:
                fallback[name] = stage_models.get(name)
            except PipereviewError:
                if not name.replace("_", "").isalnum():  # a path written in place of a name
                    continue
                raise StoreError(
                    f"week {week} was stored by an earlier pipereview, which did not record "
                    f"its stage model {name!r}, and no model of that name is shipped or "
                    "registered",
                    hint=f"run `pipereview --templates FOLDER verify --repair` "
                    f"once with the folder whose stage_models/ holds {name}.yaml: it records "
                    "the model in the store, and no command needs the folder again",
                ) from None
    return merge_weeks(per_week, fallback)

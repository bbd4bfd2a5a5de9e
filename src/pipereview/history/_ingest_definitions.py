"""The definitions a week is ingested with: the stage models and column maps its exports
were read with (a model or map given as a file, or named by the exports' reports), checked
against what the week and the store's other weeks recorded, as the record the stored week
keeps (:func:`pipereview.history._definitions.week_record`).

>>> import tempfile
>>> from pipereview.core._stages import load_stage_model
>>> from pipereview.core._weeks import Week
>>> from pipereview.history._store import SnapshotStore
>>> record = ingest_definitions(SnapshotStore(tempfile.mkdtemp()), Week.parse("2026-W47"),
...     [], None, load_stage_model("generic_4"), replace=False, added=False)
>>> sorted(record["stage_models"]), record["column_maps"]
(['generic_4'], {})
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipereview.core._stages import StageModel, load_stage_model
from pipereview.history._definitions import Definitions, merge_weeks, week_record
from pipereview.ingest._columnmaps import ColumnMap, load_column_map

if TYPE_CHECKING:
    from pipereview.core._weeks import Week
    from pipereview.history._store import SnapshotStore
    from pipereview.ingest._export import IngestResult

#: nothing of the package's own: ``ingest_definitions`` serves ``_intake``
__all__: list[str] = []


def ingest_definitions(
    store: SnapshotStore,
    week: Week,
    results: list[IngestResult],
    column_map: str | Path | ColumnMap | None,
    stage_model: str | Path | StageModel | None,
    *,
    replace: bool,
    added: bool,
) -> dict[str, Any]:
    """The record of the stage models and column maps this week is ingested with (with
    ``added``, the stored week's too). A model named like one the store's other weeks
    recorded in another version is refused (unless ``replace``: storing a week again with
    the changed model is how a store moves to it), as is one week holding two versions."""
    models = {m.name: m for m in [_given(stage_model, load_stage_model)] if m is not None}
    maps = {m.name: m for m in [_given(column_map, load_column_map)] if m is not None}
    for result in results:
        name = result.report.stage_model
        if name and name not in models:
            models[name] = load_stage_model(name)
        if result.report.column_map and result.report.column_map not in maps:
            maps[result.report.column_map] = load_column_map(result.report.column_map)
    ours = Definitions(dict(models), dict(maps))
    refused = "so this week was not stored"
    if added:
        merge_weeks(
            {f"{week} as stored": store.definitions([week]), f"{week} in these exports": ours},
            outcome=refused,
        )
    others = [w for w in store.scan()[0] if w != str(week)]
    if not replace and others:
        stored = store.definitions(others)
        for name, model in models.items():
            if name in stored.stage_models and stored.stage_models[name] != model:
                weeks = stored.weeks.get(name) or list(stored.unrecorded)
                merge_weeks(
                    {
                        str(week): ours,
                        **{w: Definitions({name: stored.stage_models[name]}) for w in weeks},
                    },
                    outcome=refused,
                )
    if added:
        earlier = store.definitions([week])
        models = {**earlier.stage_models, **models}
        maps = {**earlier.column_maps, **maps}
    return week_record(models.values(), maps.values())


def _given(value: Any, load: Callable[[Any], Any]) -> Any:
    """The definition a caller gave as an object or a file (``None`` for a name: the
    reports name what the name stood for)."""
    if value is None or isinstance(value, (StageModel, ColumnMap)):
        return value
    path = Path(value)
    return load(value) if path.suffix or path.exists() else None

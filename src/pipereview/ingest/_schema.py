"""The canonical weekly snapshot: one row per deal per week.

Every later step (matching, funnel, forecast, coaching) reads this frame and trusts it;
it is validated at the edge, when an export is ingested and when the store writes a week.

============================  ==================  ============================================
column                        type                meaning
============================  ==================  ============================================
snapshot_week                 str                 ISO week of the export, e.g. ``2026-W47``
team                          str                 sales team (a usable folder name)
deal_id                       str (may be blank)  CRM id; blank for spreadsheet pipelines
deal_name                     str                 opportunity name
account                       str                 customer; blank kept, see account_missing
owner                         str                 the rep who owns the deal
stage                         str                 a key of the stage model (won / lost included)
stage_model                   str                 name of the team's stage model
amount                        float64 >= 0        deal amount in ``currency`` (finite, at most
                                                  ``parsing.MAX_AMOUNT``)
currency                      str                 ISO code, blank when the export has none;
                                                  one currency per team and week
close_date                    datetime64[ns]      expected (or actual) close date (every date
                                                  within ``dates.DATE_RANGE``)
created_date                  datetime64[ns]      when the deal was created
probability                   float64 0..1        the CRM's win probability (blank if absent)
forecast_category             str                 commit / best_case / pipeline / omitted / closed
last_activity_date            datetime64[ns]      last logged activity (blank if absent)
next_step                     str                 the rep's next step
loss_reason                   str                 why a lost deal was lost, as the rep wrote it;
                                                  missing when the export has no such column
product_line                  str                 the deal's product line (product family), as
                                                  the CRM writes it; missing when the export has
                                                  no such column
account_potential             float64 >= 0        the account's potential revenue (ABC class B);
                                                  missing when the export has no such column
<evidence fields>             boolean or str      see :data:`pipereview.core._stages.EVIDENCE_FIELDS`;
                                                  missing when the export has no such column
account_missing               bool                the export had no account for this deal
source_file                   str                 export file name the row came from
source_row                    int64               row in that file, as a spreadsheet numbers it
============================  ==================  ============================================

>>> SNAPSHOT_COLUMNS[:4]
('snapshot_week', 'team', 'deal_id', 'deal_name')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipereview.core._errors import Problem, SchemaError
from pipereview.core._memo import arrow_arrays, derived
from pipereview.core._names import name_problem
from pipereview.core._stages import (
    EVIDENCE_FLAG_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    StageModel,
    load_stage_model,
)
from pipereview.core._textcells import control_characters
from pipereview.ingest._dates import DATE_RANGE
from pipereview.ingest._parsing import MAX_AMOUNT

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "EXPORT_OPTIONAL_FIELDS",
    "EXPORT_REQUIRED_FIELDS",
    "FORECAST_CATEGORIES",
    "SNAPSHOT_COLUMNS",
    "open_mask",
    "snapshot_schema",
    "stage_facts",
    "validate_snapshot",
]

#: The forecast categories a snapshot may hold.
FORECAST_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted", "closed")

#: Core columns of every snapshot, in order; evidence fields follow, then the bookkeeping.
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "snapshot_week",
    "team",
    "deal_id",
    "deal_name",
    "account",
    "owner",
    "stage",
    "stage_model",
    "amount",
    "currency",
    "close_date",
    "created_date",
    "probability",
    "forecast_category",
    "last_activity_date",
    "next_step",
)
BOOKKEEPING_COLUMNS: tuple[str, ...] = ("account_missing", "source_file", "source_row")

#: The fields an export cannot do without, each with what a review loses without it. Every
#: other field is optional: a review says what it cannot check without it (an export with
#: no account column is matched across weeks by ID, else by name within owner and team;
#: see :mod:`pipereview.history._matching`).
EXPORT_REQUIRED_FIELDS: dict[str, str] = {
    "deal_id": "the deal across weeks (a column of blank IDs is allowed: spreadsheets)",
    "deal_name": "what the deal is called in every list and prompt",
    "owner": "the rep: per-rep tables, coaching sheets",
    "stage": "the funnel, stage movements, process checks",
    "amount": "pipeline, waterfall, forecast",
    "close_date": "the quarter a deal counts in, pushes, overdue deals",
    "created_date": "new deals, cycle length, aging",
}
#: Canonical fields an export may provide (besides evidence fields).
EXPORT_OPTIONAL_FIELDS: tuple[str, ...] = (
    "account",
    "team",
    "probability",
    "forecast_category",
    "last_activity_date",
    "next_step",
    "loss_reason",
    "product_line",
    "account_potential",
    "currency",
    "status",
)


def _no_control_characters(values: pd.Series) -> pd.Series:
    return ~control_characters(values)


def _usable_names(values: pd.Series) -> pd.Series:
    """True where a name can be a folder or file name (each distinct name checked once)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    usable = np.array([name_problem(str(u)) is None for u in uniques] + [True], dtype=bool)
    return pd.Series(usable[np.where(codes < 0, len(uniques), codes)], index=values.index)


def snapshot_schema(model: StageModel | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a canonical snapshot (stage keys checked when ``model`` given;
    pandera is imported here, by what writes a snapshot, not by what reads one)."""
    import pandera.pandas as pa

    clean = pa.Check(_no_control_characters, error="text without control characters")
    usable_name = pa.Check(
        _usable_names,
        error="a name usable as a folder or file name (pipereview.core._names.NAME_RULE)",
    )
    text = pa.Column(str, clean, nullable=False)
    optional_text = pa.Column(str, clean, nullable=True)
    in_range = pa.Check.in_range(*DATE_RANGE)
    date = pa.Column("datetime64[ns]", in_range, nullable=False)
    stage_checks = [pa.Check.isin(list(model.keys))] if model is not None else []
    columns: dict[str, pa.Column] = {
        "snapshot_week": pa.Column(str, pa.Check.str_matches(r"^\d{4}-W\d{2}$")),
        "team": pa.Column(str, [clean, usable_name]),
        "deal_id": optional_text,
        "deal_name": text,
        "account": optional_text,
        "owner": pa.Column(str, [clean, usable_name]),
        "stage": pa.Column(str, stage_checks),
        "stage_model": text,
        "amount": pa.Column(float, [pa.Check.ge(0), pa.Check.le(MAX_AMOUNT)]),
        "currency": optional_text,
        "close_date": date,
        "created_date": date,
        "probability": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "forecast_category": pa.Column(
            str, pa.Check.isin(list(FORECAST_CATEGORIES)), nullable=True
        ),
        "last_activity_date": pa.Column("datetime64[ns]", in_range, nullable=True),
        "next_step": optional_text,
        # missing where the export has no such column (like the evidence fields)
        "loss_reason": pa.Column(str, clean, nullable=True, required=False),
        "product_line": pa.Column(str, clean, nullable=True, required=False),
        "account_potential": pa.Column(
            float, [pa.Check.ge(0), pa.Check.le(MAX_AMOUNT)], nullable=True, required=False
        ),
        "account_missing": pa.Column(bool),
        "source_file": text,
        "source_row": pa.Column("int64", pa.Check.ge(1)),
    }
    for field in EVIDENCE_FLAG_FIELDS:  # missing where the team's export has no such column
        columns[field] = pa.Column("boolean", nullable=True, required=False)
    for field in EVIDENCE_TEXT_FIELDS:
        columns[field] = pa.Column(str, clean, nullable=True, required=False)
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def validate_snapshot(
    frame: pd.DataFrame, model: StageModel | None = None, *, source: str = "snapshot"
) -> pd.DataFrame:
    """Check that ``frame`` is a canonical snapshot; raise :class:`SchemaError` listing every
    failure (column, row, check). Returns the frame unchanged.
    """
    from pandera.errors import SchemaErrors

    try:
        snapshot_schema(model).validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        problems = tuple(
            Problem(
                file=source,
                row=None if pd.isna(case["index"]) else int(case["index"]) + 1,
                column=str(case["column"]) if pd.notna(case["column"]) else None,
                expected=str(case["check"]),
                got=str(case["failure_case"]),
            )
            for case in cases.head(50).to_dict("records")
        )
        raise SchemaError(
            f"{source} is not a valid canonical snapshot: {len(cases)} failure(s):\n"
            + "\n".join(f"  - {p}" for p in problems),
            file=source,
            problems=problems,
            hint="build snapshots with pipereview.read_export / `pipereview ingest`, "
            "which produce this schema",
        ) from None
    duplicated = frame["deal_id"].notna() & frame.duplicated(
        ["snapshot_week", "deal_id"], keep=False
    )
    if duplicated.any():
        ids = sorted(frame.loc[duplicated, "deal_id"].astype(str).unique())[:10]
        raise SchemaError(
            f"{source}: deal IDs must be unique within a week; repeated: {ids}",
            file=source,
            column="deal_id",
            hint="keep one row per deal ID in each week's exports (check for a deal exported twice)",
        )
    _one_currency_per_team(frame, source)
    return frame


def _one_currency_per_team(frame: pd.DataFrame, source: str) -> None:
    """A team's amounts are added together: its deals of one week carry one currency."""
    pairs = frame.loc[frame["currency"].notna(), ["snapshot_week", "team", "currency"]]
    pairs = pairs.drop_duplicates()
    mixed = pairs[pairs.duplicated(["snapshot_week", "team"], keep=False)]
    if mixed.empty:
        return
    found = mixed.groupby(["snapshot_week", "team"])["currency"].agg(
        lambda c: ", ".join(sorted(c.astype(str)))
    )
    listed = "; ".join(
        f"team {team!r} in {week}: {currencies}"
        for week, team, currencies in found.head(10).reset_index().itertuples(index=False)
    )
    raise SchemaError(
        f"{source}: a team's deals carry several currencies ({listed})",
        file=source,
        column="currency",
        expected="one currency per team and week",
        hint="a team's amounts are added together: convert the amounts in the CRM report, "
        "or give the deals of each currency their own team",
    )


def stage_facts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row, from its stage under its team's stage model: ``position`` among the open
    stages (0-based; the number of stages for won, -1 for lost or unknown), ``is_open``,
    ``is_won``, ``is_lost`` and the model's ``model_probability``. Each distinct model and
    stage is looked up once, then spread back.

    >>> stage_facts(pd.DataFrame({"stage": ["needs_confirmed", "won"],
    ...                           "stage_model": "generic_4"}))[["position", "is_open", "is_won"]]
       position  is_open  is_won
    0         1     True   False
    1         6    False    True
    """
    models_col, stages_col = frame["stage_model"].astype("str"), frame["stage"].astype("str")
    arrays = arrow_arrays(models_col, stages_col)  # immutable: the work is done once

    def codes() -> tuple[np.ndarray, list[str], int]:
        model_codes, model_names = pd.factorize(models_col)
        stage_codes, stage_names = pd.factorize(stages_col)
        # a small table over every (model, stage) pair, indexed directly by the pair's
        # code (a missing model or stage has code -1: the extra last row and column)
        width = len(stage_names) + 1
        pair = np.where(model_codes < 0, len(model_names), model_codes).astype(
            np.int64
        ) * width + np.where(stage_codes < 0, width - 1, stage_codes)
        pair.flags.writeable = False
        return pair, [*map(str, model_names), *map(str, stage_names)], len(model_names)

    pair, names, n_models = derived(arrays, "stage_pairs", codes)
    models = [load_stage_model(name) for name in names[:n_models]]  # a changed file counts
    stage_names = names[n_models:]

    def lookup() -> dict[str, np.ndarray]:
        width = len(stage_names) + 1
        table = np.zeros(((n_models + 1) * width, 5))
        table[:, 0] = -1
        table[:, 4] = np.nan
        for m, model in enumerate(models):
            opened = {s.key: i for i, s in enumerate(model.open_stages)}
            lost = {s.key for s in model.lost_stages}
            for k, stage in enumerate(stage_names):
                row = table[m * width + k]
                if stage in opened:
                    row[0], row[1] = opened[stage], 1
                elif stage == model.won_stage.key:
                    row[0], row[2] = len(model.stages), 1
                row[3] = stage in lost
                if stage in model.keys:
                    row[4] = model.stage(stage).probability
        out = {
            "position": table[:, 0].astype(np.int64)[pair],
            "is_open": table[:, 1].astype(bool)[pair],
            "is_won": table[:, 2].astype(bool)[pair],
            "is_lost": table[:, 3].astype(bool)[pair],
            "model_probability": table[:, 4][pair],
        }
        for values in out.values():
            values.flags.writeable = False
        return out

    facts = derived(arrays, ("stage_facts", *map(id, models)), lookup)
    return pd.DataFrame({name: values.copy() for name, values in facts.items()}, index=frame.index)


def open_mask(frame: pd.DataFrame) -> pd.Series:
    """True for the rows of ``frame`` whose stage is open under their team's stage model.

    >>> open_mask(pd.DataFrame({"stage": ["negotiation", "won"], "stage_model": "generic_4"}))
    0     True
    1    False
    Name: is_open, dtype: bool
    """
    mask: pd.Series = stage_facts(frame)["is_open"]
    return mask

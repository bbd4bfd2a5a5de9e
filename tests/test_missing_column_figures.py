"""A figure made of an optional column is missing, never zero, where the export lacks it.

Real exports lack columns (no forecast category, no probability, no activity date, no
evidence). A figure summed over a column that holds nothing reads 0 ("commit 0"), a value
no CRM ever recorded. This is the guard over every figure function at once, not a test
per figure:

- for each optional column, its values are changed (:func:`_changed`) and each function
  of :data:`FIGURES` run again: the numeric outputs that move *depend* on that column;
- the column is then blanked in every row, as the store keeps a column the export did
  not have (:func:`_blanked`), and each output that depends on it must be missing there;
- unless :data:`FALLBACKS` names the documented fallback that output takes instead (a deal
  without its own probability is weighted at its stage's probability), or
  :data:`ROW_SETS` says why the function's rows themselves are what depends on it.

A new figure function goes into :data:`FIGURES`; a figure that prints 0 for a column the
export lacks then fails here, naming the function, the column and the output.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipereview import diagnostics as D
from pipereview import forecasting as F
from pipereview.core._stages import EVIDENCE_FIELDS, EVIDENCE_FLAG_FIELDS
from pipereview.history._intake import ingest_folder
from pipereview.history._store import SnapshotStore
from pipereview.sample import generate_samples

AS_OF, PERIOD = "2026-W47", "2026-Q4"
Figure = Callable[[pd.DataFrame, pd.DataFrame], Any]


def _now(history: pd.DataFrame) -> pd.DataFrame:
    return history[history["snapshot_week"] == AS_OF]


#: Every figure function a review, the dashboard or an analyst reads numbers from, called
#: on (history, targets).
FIGURES: dict[str, Figure] = {
    "pacing": lambda h, t: F.pacing(h, t, AS_OF),
    "pacing by rep": lambda h, t: F.pacing(h, t, AS_OF, by="rep"),
    "forecast_methods": lambda h, t: F.forecast_methods(h, AS_OF),
    "coverage_of_remaining": lambda h, t: F.coverage_of_remaining(h, t, AS_OF).summary,
    "category_matrix": lambda h, t: (
        F.category_matrix(h, "2026-W46", AS_OF, team="North", period=PERIOD).amounts
    ),
    "change_reasons": lambda h, t: F.change_reasons(h, "2026-W46", AS_OF, period=PERIOD),
    "period_forecast": lambda h, t: D.period_forecast(h, t, PERIOD, AS_OF),
    "period_forecast by rep": lambda h, t: D.period_forecast(h, t, PERIOD, AS_OF, by="rep"),
    "progress": lambda h, t: D.progress(h, t, PERIOD, AS_OF),
    "weekly_metrics": lambda h, t: D.weekly_metrics(h, targets=t),
    "rep_comparison": lambda h, t: D.rep_comparison(h, AS_OF, targets=t),
    "win_rates": lambda h, t: D.win_rates(h, AS_OF),
    "sales_velocity": lambda h, t: D.sales_velocity(h, as_of=AS_OF),
    "stage_calibration": lambda h, t: D.stage_calibration(h, AS_OF),
    "funnel_shape": lambda h, t: D.funnel_shape(h, as_of=AS_OF),
    "cohort_conversion": lambda h, t: D.cohort_conversion(h, as_of=AS_OF),
    "move_on_rates": lambda h, t: D.move_on_rates(h, as_of=AS_OF),
    "stage_table": lambda h, t: D.stage_table(h, as_of=AS_OF),
    "stage_durations": lambda h, t: D.stage_durations(h, as_of=AS_OF),
    "deal_risks": lambda h, t: D.deal_risks(h, as_of=AS_OF),
    "results_compared": lambda h, t: D.results_compared(h, AS_OF),
    "new_deal_counts": lambda h, t: D.new_deal_counts(h),
    "category_rollup": lambda h, t: D.category_rollup(_now(h), period=PERIOD),
    "category_rollup by rep": lambda h, t: D.category_rollup(
        _now(h), period=PERIOD, group_columns=("team", "owner")
    ),
    "weighted_pipeline": lambda h, t: D.weighted_pipeline(_now(h), period=PERIOD),
    "evidence_weighted": lambda h, t: D.evidence_weighted(_now(h), period=PERIOD),
}

#: (column, function) -> the documented value an output that depends on the column takes
#: when the export lacks it (None: every function).
FALLBACKS: dict[tuple[str, str | None], str] = {
    ("probability", None): "a deal without its own probability is weighted at its stage's "
    "probability in the team's stage model (docs/forecast.md, weighted pipeline)",
    ("evidence", "evidence_weighted"): "a claim that cannot be checked keeps its weight and "
    "is marked evidence_checked = False: the figure is an upper bound, said as such",
}
#: (column, function) -> why the function's rows (which deals, which reasons) are what
#: depends on the column: a check not made lists no finding, and says "not checked".
ROW_SETS: dict[tuple[str, str], str] = {
    ("last_activity_date", "deal_risks"): "the stalled-deal risk is not checked without an "
    "activity date (its not-checked note says so): other deals rank in its place",
    ("forecast_category", "change_reasons"): "a change of forecast category is a reason only "
    "where categories are recorded",
}
COLUMNS = ("probability", "forecast_category", "last_activity_date", "evidence")


def _changed(history: pd.DataFrame, column: str) -> pd.DataFrame:
    """``history`` with other values in ``column`` where it holds one."""
    out = history.copy()
    if column == "probability":
        out[column] = 1 - out[column]
    elif column == "forecast_category":
        turn = {"commit": "best_case", "best_case": "pipeline", "pipeline": "commit"}
        out[column] = out[column].map(lambda v: turn.get(v, v))
    elif column == "last_activity_date":
        out[column] = out[column] - pd.Timedelta(days=25)
    else:
        for field in EVIDENCE_FLAG_FIELDS:
            if field in out:
                out[field] = ~out[field].astype("boolean")
    return out


def _blanked(history: pd.DataFrame, column: str) -> pd.DataFrame:
    """``history`` as the store keeps an export without ``column`` (every cell empty)."""
    out = history.copy()
    if column == "evidence":  # no exit criterion at all, flags and texts
        for field in EVIDENCE_FIELDS:
            if field in out:
                flag = field in EVIDENCE_FLAG_FIELDS
                out[field] = (
                    pd.array([pd.NA] * len(out), dtype="boolean")
                    if flag
                    else pd.Series(None, index=out.index, dtype=object)
                )
    elif column == "last_activity_date":
        out[column] = pd.NaT
    elif column == "probability":
        out[column] = np.nan
    else:
        out[column] = pd.Series(None, index=out.index, dtype=object)
    return out


def _frame(result: pd.DataFrame) -> pd.DataFrame:
    return result.reset_index()


def _numeric(frame: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


def _moved(before: pd.DataFrame, after: pd.DataFrame, column: str) -> np.ndarray:
    """Where ``column``'s values differ (a missing value equals a missing one)."""
    a = before[column].astype("float64").to_numpy()
    b = after[column].astype("float64").to_numpy()
    return ~np.isclose(a, b, equal_nan=True)


#: The columns that say what a row is (a team, a deal, a method, a week...), as opposed to
#: what it found; the changed column itself never counts among them.
IDENTITY = frozenset(
    {"team", "owner", "deal_id", "deal_key", "method", "quarter", "week", "as_of", "period"}
    | {"snapshot_week", "stage", "metric", "relation", "risk", "rule", "forecast_category"}
    | {"index", "currency"}
)


def _same_rows(before: pd.DataFrame, after: pd.DataFrame, column: str) -> bool:
    if before.shape != after.shape:
        return False
    labels = [
        c for c in before.columns if c in IDENTITY and c != column and c not in _numeric(before)
    ]
    return before[labels].astype("str").equals(after[labels].astype("str"))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fourteen weeks of the four sample teams (a quarter of their deals), every column."""
    root = tmp_path_factory.mktemp("figures")
    generate_samples(root, n_weeks=14, scale=0.25)
    ingest_folder(root / "exports", store=root / "store")
    return SnapshotStore(root / "store").history(), D.load_targets(root / "targets.csv")


def _findings(
    figure: Figure, history: pd.DataFrame, targets: pd.DataFrame, column: str
) -> tuple[bool, list[str]]:
    """Whether any output of ``figure`` depends on ``column``, and what it shows without
    the column that it should not: a number in a cell made of the column, or rows that
    the column decides ("rows")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = _frame(figure(history, targets))
        changed = _frame(figure(_changed(history, column), targets))
        blank = _frame(figure(_blanked(history, column), targets))
    if not _same_rows(base, changed, column):
        return True, ["its rows depend on it"]
    aligned = _same_rows(base, blank, column)
    depends, found = False, []
    for output in _numeric(base):
        made = _moved(base, changed, output)
        depends = depends or bool(made.any())
        if not made.any() or output not in blank:
            continue
        values = blank[output].astype("float64")
        shown = values[made] if aligned else values  # rows of their own: all must be missing
        if shown.notna().any():
            first = float(shown.dropna().iloc[0])
            found.append(
                f"{output} is made of it, yet without it shows {int(shown.notna().sum())} "
                f"numbers (first {first:g})"
            )
    return depends, found


def _declared(column: str, name: str) -> bool:
    return (column, None) in FALLBACKS or (column, name) in FALLBACKS or (column, name) in ROW_SETS


def test_a_blank_currency_changes_no_figure(history: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Most exports have no currency column: the currency only labels amounts, so every
    figure of every function is the same without it (no group of blank currency dropped)."""
    frame, targets = history
    changed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, figure in FIGURES.items():
            base = _frame(figure(frame, targets))
            blank = _frame(figure(frame.assign(currency=None), targets))
            assert base.shape == blank.shape, name
            changed += [f"{name}: {c}" for c in _numeric(base) if _moved(base, blank, c).any()]
    assert not changed, changed


@pytest.mark.parametrize("column", COLUMNS)
def test_a_figure_made_of_a_column_the_export_lacks_is_missing_not_zero(
    column: str, history: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    frame, targets = history
    problems, depending = [], 0
    for name, figure in FIGURES.items():
        depends, found = _findings(figure, frame, targets, column)
        depending += depends
        if found and not _declared(column, name):
            problems += [f"{name}: {column}: {f}" for f in found]
    assert depending, f"changing {column} moved no figure: the guard would pass vacuously"
    assert not problems, "\n".join(problems)


def test_every_declared_exception_is_still_needed(
    history: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A fallback or row set declared for a function that now shows nothing the guard
    refuses is stale: the declaration must go with the behaviour it excused."""
    frame, targets = history
    stale = []
    for column, name in [*FALLBACKS, *ROW_SETS]:
        names = list(FIGURES) if name is None else [name]
        if not any(_findings(FIGURES[n], frame, targets, column)[1] for n in names):
            stale.append(f"{column} / {name}")
    assert not stale, stale


def test_a_team_without_forecast_categories_has_no_commit_while_another_keeps_its_own(
    history: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Hand-checked on one team: North's export loses its category column, the others keep
    theirs; North's commit is unknown, the others' unchanged, to the cent."""
    frame, targets = history
    mixed = frame.copy()
    north = mixed["team"] == "North"
    mixed["forecast_category"] = mixed["forecast_category"].where(~north, None)
    before = D.period_forecast(frame, targets, PERIOD, AS_OF).set_index("team")
    after = D.period_forecast(mixed, targets, PERIOD, AS_OF).set_index("team")
    assert pd.isna(after.loc["North", "commit_in_period"])
    assert pd.isna(after.loc["North", "best_case_in_period"])
    assert after.loc["North", "open_in_period"] == before.loc["North", "open_in_period"]
    others = after.index != "North"
    assert after.loc[others, "commit_in_period"].tolist() == (
        before.loc[others, "commit_in_period"].tolist()
    )
    assert (before.loc[others, "commit_in_period"] > 0).all()
    rollup = D.category_rollup(_now(mixed), period=PERIOD)
    assert rollup.loc[rollup["team"] == "North", ["deals", "amount"]].isna().all().all()
    kept = rollup[rollup["team"] != "North"]
    assert kept["deals"].notna().all() and kept["amount"].sum() > 0

"""The forecast-category matrix: where the deals of one week's forecast categories are in another.

:func:`category_matrix` compares any two stored weeks (deals paired by ``deal_key``, as
:func:`pipereview.forecasting.change_reasons` pairs them). Rows are the deal's forecast
category in the first week's pipeline (:data:`MATRIX_ROWS`: commit, best case, pipeline,
omitted, or ``not_in_pipeline`` for a deal that was not in it: new since, outside the
period, closed, or in another team); columns are where it is in the second week
(:data:`MATRIX_COLUMNS`: the four categories of that week's pipeline, ``won``, ``lost``,
``gone`` (deleted, merged or dropped from the export), or ``not_in_pipeline`` for a deal
still open but out of the pipeline: pushed or pulled out of the period, moved to another
team). An open deal without a category in a week where others have one is in
``no_category`` (a row or column present only then). Only deals in either week's pipeline
are counted. Each cell holds ``deals`` and ``amount``: the amount of the second week, or
of the first for deals gone.

Without a ``forecast_category`` in the export the result says so instead of guessing:
``not_available`` holds "not available: the export has no forecast category" and the
frames are empty (nothing is raised).

>>> day = pd.Timestamp("2026-11-30")
>>> w1 = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North",
...     "deal_id": ["D1", "D2", "D3"], "deal_name": ["MES", "ERP", "WMS"],
...     "account": ["Acme", "Beta", "Core"], "owner": "Ann", "stage": "negotiation",
...     "stage_model": "generic_4", "amount": [100.0, 50.0, 30.0], "currency": "USD",
...     "close_date": day, "forecast_category": ["commit", "best_case", "pipeline"]})
>>> w2 = w1.assign(snapshot_week="2026-W48", stage=["won", "negotiation", "negotiation"],
...     forecast_category=["closed", "commit", "pipeline"])
>>> m = category_matrix(pd.concat([w1, w2]), "2026-W47", "2026-W48", period="2026-Q4")
>>> m.cells.to_dict("records")
[{'from_category': 'commit', 'to_category': 'won', 'deals': 1, 'amount': 100.0}, {'from_category': 'best_case', 'to_category': 'commit', 'deals': 1, 'amount': 50.0}, {'from_category': 'pipeline', 'to_category': 'pipeline', 'deals': 1, 'amount': 30.0}]
>>> int(m.deals.loc["best_case", "commit"]), m.not_available
(1, '')
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.diagnostics._forecast import OPEN_CATEGORIES
from pipereview.diagnostics._waterfall import waterfall_deals
from pipereview.forecasting._reasons import week_movements
from pipereview.history._prepared import PreparedHistory

__all__ = ["MATRIX_COLUMNS", "MATRIX_ROWS", "NO_CATEGORY_TEXT", "CategoryMatrix", "category_matrix"]

#: The matrix's rows: the deal's forecast category in the first week's pipeline.
MATRIX_ROWS: tuple[str, ...] = (*OPEN_CATEGORIES, "not_in_pipeline")
#: The matrix's columns: where the deal is in the second week.
MATRIX_COLUMNS: tuple[str, ...] = (*OPEN_CATEGORIES, "won", "lost", "gone", "not_in_pipeline")
#: What the matrix says when the export has no forecast category.
NO_CATEGORY_TEXT = "not available: the export has no forecast category"
_NONE = "no_category"
_WHOLE = ("1700-01-01", "2261-12-31")
_DateLike = str | datetime.date | pd.Timestamp


@dataclass(frozen=True)
class CategoryMatrix:
    """A forecast-category matrix (:func:`category_matrix`).

    - ``deals`` / ``amounts``: rows :data:`MATRIX_ROWS`, columns :data:`MATRIX_COLUMNS`
      (with ``no_category`` where a deal had none), deal counts and summed amounts;
    - ``cells``: the cells holding deals, long (``from_category``, ``to_category``,
      ``deals``, ``amount``), in row then column order;
    - ``currency``: the deals' currency (``""`` when none is given);
    - ``not_available``: ``""``, or why the matrix cannot be given (the frames are empty).
    """

    deals: pd.DataFrame
    amounts: pd.DataFrame
    cells: pd.DataFrame
    currency: str = ""
    not_available: str = field(default="")


def category_matrix(
    history: pd.DataFrame | PreparedHistory,
    from_week: str,
    to_week: str,
    *,
    team: str | None = None,
    period: str | tuple[_DateLike, _DateLike] | None = None,
    movements: pd.DataFrame | None = None,
) -> CategoryMatrix:
    """The forecast-category from→to matrix of ``history`` between two stored weeks (the
    first earlier), for ``team``'s pipeline (a deal that moved team left one team's
    pipeline and joined the other's) and ``period``'s (open deals closing in it; without
    one, every open deal). The deals must be in one currency (filter by team first).
    ``movements``: the :func:`~pipereview.forecasting.week_movements` of ``history``
    between the two weeks, when already at hand (not computed again)."""
    frame = history.frame if isinstance(history, PreparedHistory) else history
    moves = week_movements(history, from_week, to_week) if movements is None else movements
    deals = waterfall_deals(moves, period or _WHOLE, team=team)
    if "forecast_category" not in frame.columns or (
        deals["forecast_from"].isna().all() and deals["forecast_to"].isna().all()
    ):
        return _empty(NO_CATEGORY_TEXT)
    currency = _one_currency(deals)
    rows = np.where(deals["in_opening"], _category(deals["forecast_from"]), "not_in_pipeline")
    state = deals["state_to"].to_numpy(dtype=object)
    elsewhere = np.select(
        [state == "won", state == "lost", state == "absent"],
        ["won", "lost", "gone"],
        "not_in_pipeline",
    )
    columns = np.where(deals["in_closing"], _category(deals["forecast_to"]), elsewhere)
    amount = np.where(state == "absent", deals["opening_cents"], _cents(deals["amount_to"]))
    long = pd.DataFrame({"from_category": rows, "to_category": columns, "cents": amount})
    row_names = _with_none(MATRIX_ROWS, rows)
    col_names = _with_none(MATRIX_COLUMNS, columns)
    grouped = long.groupby(["from_category", "to_category"]).agg(
        deals=("cents", "size"), cents=("cents", "sum")
    )
    counts = (
        grouped["deals"]
        .unstack(fill_value=0)
        .reindex(index=row_names, columns=col_names, fill_value=0)
    )
    sums = (grouped["cents"] / 100.0).unstack(fill_value=0)
    sums = sums.reindex(index=row_names, columns=col_names, fill_value=0.0)
    cells = grouped.reset_index()
    cells["_r"] = cells["from_category"].map(row_names.index)
    cells["_c"] = cells["to_category"].map(col_names.index)
    cells = cells.sort_values(["_r", "_c"]).reset_index(drop=True)
    cells = cells.assign(amount=cells["cents"] / 100.0, deals=cells["deals"].astype("int64"))
    return CategoryMatrix(
        deals=counts.astype("int64"),
        amounts=sums.astype(float),
        cells=cells[["from_category", "to_category", "deals", "amount"]],
        currency=currency,
    )


def _category(values: pd.Series) -> np.ndarray:
    """Each value if it is an open forecast category, else ``no_category``."""
    text = values.astype("object").to_numpy()
    return np.where(np.isin(text, OPEN_CATEGORIES), text, _NONE)


def _with_none(names: tuple[str, ...], found: np.ndarray) -> list[str]:
    """``names`` with ``no_category`` before ``not_in_pipeline`` when a deal has none."""
    if _NONE not in set(found):
        return list(names)
    at = names.index("not_in_pipeline")
    return [*names[:at], _NONE, *names[at:]]


def _cents(amount: pd.Series) -> np.ndarray:
    cents: np.ndarray = np.rint(amount.to_numpy(dtype=float, na_value=0.0) * 100).astype(np.int64)
    return cents


def _one_currency(deals: pd.DataFrame) -> str:
    codes = deals["currency"].astype("object")
    found = sorted(set(codes.where(codes.notna(), "").astype(str)))
    if len(found) > 1:
        raise InputError(
            f"the deals mix currencies {found}; a matrix adds amounts",
            expected="deals in one currency",
            hint="pass team= (or one currency's deals) to category_matrix",
        )
    return found[0] if found else ""


def _empty(reason: str) -> CategoryMatrix:
    frame = pd.DataFrame(index=pd.Index([], dtype="str"), columns=pd.Index([], dtype="str"))
    cells = pd.DataFrame(
        {
            "from_category": pd.Series(dtype="str"),
            "to_category": pd.Series(dtype="str"),
            "deals": pd.Series(dtype="int64"),
            "amount": pd.Series(dtype=float),
        }
    )
    return CategoryMatrix(deals=frame, amounts=frame.copy(), cells=cells, not_available=reason)

"""The value fields of an export's rows: stage (with a won/lost status column), amount,
dates and forecast category, each parsed from its column into canonical values, with the
checks its cells fail.

Private to :mod:`pipereview.ingest._builder`: each function returns the canonical column
and its :data:`~pipereview.ingest._assembly.FieldCheck` list (a check whose mask holds
no row is dropped there), and the notes for the report where a field has some.

>>> translate(pd.Series(["Won", " open", None]), {"won": "closed"}).tolist()
['closed', ' open', None]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._stages import StageModel
from pipereview.core._text import normalize_label
from pipereview.ingest._assembly import FieldCheck
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._dates import DATE_RANGE, DateFormat, parse_dates
from pipereview.ingest._formatguess import stage_models_knowing
from pipereview.ingest._parsing import MAX_AMOUNT, is_blank, parse_amounts
from pipereview.ingest._schema import FORECAST_CATEGORIES

__all__: list[str] = []

_FIRST, _LAST = (d.date().isoformat() for d in DATE_RANGE)
_CATEGORY_WORDS = {
    "best case": "best_case",
    "bestcase": "best_case",
    "closed won": "closed",
    "closed lost": "closed",
    "won": "closed",
    "lost": "closed",
}


def stage_column(
    values: pd.Series, status: pd.Series | None, model: StageModel, cmap: ColumnMap
) -> tuple[pd.Series, list[FieldCheck]]:
    """The stage keys of the export's stage names ``values`` (the model's names and the
    map's aliases; won or lost where the ``status`` column, if any, says so)."""
    table = model.alias_table(cmap.stage_aliases)  # keys already normalised
    stage = translate(values, table, keep_unknown=False)
    checks: list[FieldCheck] = []
    if status is not None:
        stage, checks = _apply_status(stage, status, model)
    blank = is_blank(values)
    checks.append((blank, "stage", "a stage name (not blank)", "fill in the deal's stage"))
    unknown = stage.isna() & ~blank
    if not unknown.any():
        return stage, checks
    known = ", ".join(model.known_names())
    checks.append(
        (
            unknown,
            "stage",
            f"a stage of model {model.name!r} ({known})",
            _unknown_stage_hint(values, blank, unknown, model, cmap),
        )
    )
    return stage, checks


def _apply_status(
    stage: pd.Series, status: pd.Series, model: StageModel
) -> tuple[pd.Series, list[FieldCheck]]:
    """Exports that keep the last stage of closed deals say won/lost in a status column."""
    words = status.astype("str").str.strip().str.casefold()
    won, lost = model.won_stage.key, model.lost_stages[0].key
    stage = stage.where(words != "won", won).where(words != "lost", lost)
    unknown = ~words.isin(["open", "won", "lost"]) & ~is_blank(status)
    return stage, [
        (
            unknown,
            "status",
            "a status of open, won or lost",
            "add the CRM's status names under 'values: status:' in your column map",
        )
    ]


def _unknown_stage_hint(
    values: pd.Series, blank: pd.Series, unknown: pd.Series, model: StageModel, cmap: ColumnMap
) -> str:
    """How to read the stage names no stage of ``model`` has: as aliases in a column map,
    or with the other stage model that knows them all."""
    names = sorted(set(values[unknown].astype("str").str.strip()))
    hint = (
        f"add the name as an alias: a column map with 'extends: {cmap.name}' and "
        f"'stage_aliases: {{{names[0]!r}: <stage key>}}', passed with --map "
        "(docs/formats.md)"
    )
    # the models that know every stage name of the file (one alone is chosen unless
    # --model names another: pipereview.ingest._formatguess.choose_stage_model)
    every = sorted(set(values[~blank].astype("str").str.strip()))
    better = [m for m in stage_models_knowing(every) if m != model.name]
    if len(better) == 1:
        hint = f"these names belong to stage model {better[0]!r}: pass --model {better[0]}"
    elif better:
        hint = (
            f"these names belong to the stage models {', '.join(better)}: pass --model "
            "with one of them"
        )
    return hint


def amount_column(
    column: pd.Series, decimal: str, skipped: pd.Series
) -> tuple[pd.Series, list[FieldCheck], list[str]]:
    """The amounts of ``column`` (a blank cell is 0, a negative one missing), the checks
    and the warnings (amounts left blank, in rows not ``skipped``)."""
    values, bad = parse_amounts(column, decimal)
    blank = values.isna() & ~bad & ~skipped
    warnings = []
    if blank.any():
        warnings.append(f"{int(blank.sum())} deal(s) have no amount; counted as 0")
    # numbers no amount can be: inf, 1e309, 1e20 (NaN text is no number: the other check)
    number = pd.to_numeric(column[bad].astype("str").str.strip(), errors="coerce")
    huge = pd.Series(False, index=column.index)
    huge[number.index] = number.abs() > MAX_AMOUNT  # inf too; NaN is not
    negative = values < 0
    checks: list[FieldCheck] = [
        (
            huge,
            "amount",
            f"a finite amount of at most {MAX_AMOUNT:,.0f}",
            "the amount is infinite or far larger than any deal: correct it in the CRM "
            "(amounts are added as whole cents)",
        ),
        (
            bad & ~huge,
            "amount",
            "an amount such as 12000, 12,000.00, ¥1,200,000.00 or 120万",
            "remove text from the amount cell; for amounts such as 1.234,50 set "
            "'decimal: \",\"' in a column map (docs/formats.md)",
        ),
        (
            negative,
            "amount",
            "an amount >= 0",
            "a pipeline holds no negative deals; correct the amount or remove the row",
        ),
    ]
    return values.fillna(0.0).where(~negative), checks, warnings


def date_column(
    column: pd.Series, name: str, header: str, fmt: DateFormat, skipped: pd.Series
) -> tuple[pd.Series, list[FieldCheck], list[str]]:
    """The dates of ``column`` (field ``name``, the export's ``header``), the checks and
    the repairs (placeholders such as 9999-12-31 read as blank in ``last_activity_date``,
    the one date that may be missing)."""
    hint = (
        f"write dates as 2026-11-23; day/month order here is {fmt!r} (set "
        "'date_format: dmy' or 'mdy' in a column map for 23/11/2026 or 11/23/2026)"
    )
    values, bad = parse_dates(column, fmt)
    checks: list[FieldCheck] = [(bad, name, f"a date from {_FIRST} to {_LAST}", hint)]
    # a cell neither blank nor bad that parsed to no date held a placeholder
    # (parse_dates reads them as blank): the same cells date_placeholders finds
    placeholder = values.isna() & ~bad & ~skipped
    if placeholder.any():  # blank cells looked at only among the few without a date
        placeholder[placeholder] = ~is_blank(column[placeholder])
    if name == "last_activity_date":
        repairs = []
        if placeholder.any():
            shown = str(column[placeholder].iloc[0]).strip()
            repairs.append(
                f"{int(placeholder.sum())} '{header}' cell(s) held a "
                f"'no date' placeholder such as {shown!r}: read as blank"
            )
        return values, checks, repairs
    checks.append(
        (
            placeholder,
            name,
            "a real date (9999-12-31, 1900-01-01, 0000-00-00 and the like mean 'no date')",
            "fill in the date in the CRM",
        )
    )
    checks.append(
        (values.isna() & ~bad & ~placeholder, name, "a date (not blank)", "fill in the date")
    )
    return values, checks, []


def forecast_column(text: pd.Series, cmap: ColumnMap) -> tuple[pd.Series, list[FieldCheck]]:
    """The forecast categories of ``text`` (the map's words for them, the categories'
    names and common CRM words such as ``Best Case``)."""
    table = {normalize_label(k): v for k, v in cmap.values.get("forecast_category", {}).items()}
    table.update({normalize_label(c): c for c in FORECAST_CATEGORIES})
    table.update({k: v for k, v in _CATEGORY_WORDS.items() if k not in table})
    mapped = translate(text, table, keep_unknown=False)
    return mapped, [
        (
            mapped.isna() & text.notna(),
            "forecast_category",
            f"one of {sorted(set(table))}",
            "add the value under 'values: forecast_category:' in your column map",
        )
    ]


def translate(column: pd.Series, lookup: dict[str, str], *, keep_unknown: bool = True) -> pd.Series:
    """Map a column's values through ``lookup`` (keys normalised), distinct values only.

    Unknown values stay as they are (``keep_unknown``) or become missing.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped = [lookup.get(normalize_label(u), u if keep_unknown else None) for u in uniques]
    table = pd.Series([*mapped, None], dtype=object if keep_unknown else "str")
    result = table.iloc[np.where(codes < 0, len(uniques), codes)]
    return result.set_axis(column.index)

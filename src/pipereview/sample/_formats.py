"""How each CRM writes its export: dialects and value formatting.

A canonical frame (one column per canonical field, plus ``_``-prefixed helper columns)
becomes the table a CRM would export: its headers, its date, amount, probability and flag
conventions, its stage names (``_writers`` then writes it as a CSV in its encoding or a
byte-stable XLSX).

>>> import numpy as np
>>> format_amounts(np.array([1_200_000.0, 99.5]), "grouped").tolist()
['1,200,000.00', '99.50']
>>> _format_dates(np.array(["2026-11-20T09:30"], dtype="M8[m]"), "mdy").tolist()
['11/20/2026']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipereview.core._languages import check_language
from pipereview.core._stages import StageModel
from pipereview.core._text import normalize_label
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._parsing import TRUE_WORDS
from pipereview.sample._dates import Date

__all__ = [
    "Columns",
    "Dialect",
    "columns_of",
    "dialect_of",
    "format_amounts",
    "plain_csv",
    "to_export",
]

Columns = dict[str, Any]  # column name -> values (numpy array or list), one table


# --- dialects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """One CRM's export conventions."""

    file: Literal["csv", "xlsx"]
    encoding: str
    date: str  # mdy | dmy | iso | iso_dt | ymd_slash | ymd_mixed | excel
    stamp: str  # created / last activity: same styles plus sfdc | odoo
    amount: str  # grouped | plain | whole | cny_mixed | number
    probability: str  # percent | fraction | percent_sign | number
    flags: tuple[str, str]
    currency: str
    id_style: str  # sfdc | hubspot | guid | cn_old | odoo
    lang: Literal["en", "zh"] = "en"
    stage_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_language(self.lang)


_DIALECTS: dict[str, Dialect] = {
    "salesforce_report": Dialect(
        "csv", "utf-8-sig", "mdy", "mdy", "grouped", "percent", ("1", "0"), "USD", "sfdc"
    ),
    "salesforce_dataloader": Dialect(
        "csv", "utf-8", "iso", "sfdc", "plain", "percent", ("true", "false"), "USD", "sfdc"
    ),
    "hubspot": Dialect(
        "csv", "utf-8", "iso_dt", "iso_dt", "whole", "fraction", ("true", "false"), "USD", "hubspot"
    ),
    "odoo": Dialect(
        "csv", "utf-8", "iso", "odoo", "plain", "percent", ("True", "False"), "EUR", "odoo"
    ),
    "dynamics": Dialect(
        "xlsx",
        "",
        "excel",
        "excel",
        "number",
        "number",
        ("Yes", "No"),
        "EUR",
        "guid",
        stage_names=("Qualify", "Develop", "Propose", "Close", "Won", "Lost"),
    ),
    "chinese_crm": Dialect(
        "csv",
        "gb18030",
        "ymd_mixed",
        "ymd_slash",
        "cny_mixed",
        "percent_sign",
        ("是", "否"),
        "CNY",
        "cn_old",
        lang="zh",
        stage_names=("赢单", "输单"),
    ),
}
# a column map no dialect knows: a plain CSV in the map's date format (see dialect_of)
_GENERIC = Dialect("csv", "utf-8", "iso", "iso", "plain", "percent", ("Yes", "No"), "USD", "odoo")
_DEFAULT_FORECAST = {
    "en": {
        "commit": "Commit",
        "best_case": "Best Case",
        "pipeline": "Pipeline",
        "omitted": "Omitted",
        "closed": "Closed",
    },
    "zh": {
        "commit": "承诺",
        "best_case": "最佳情况",
        "pipeline": "渠道",
        "omitted": "忽略",
        "closed": "已关闭",
    },
}


def plain_csv(dialect: Dialect, date_format: str) -> Dialect:
    """``dialect`` written as a plain UTF-8 CSV: dates in ``date_format``, plain numbers."""
    return replace(
        dialect,
        file="csv",
        encoding="utf-8",
        date=date_format,
        stamp=date_format,
        amount="plain",
        probability="percent",
    )


def dialect_of(cmap: ColumnMap) -> Dialect:
    """The conventions of the CRM behind ``cmap`` (or of the map it extends)."""
    known = _DIALECTS.get(cmap.name) or _DIALECTS.get(cmap.extends or "")
    if known is not None:
        return known
    return plain_csv(_GENERIC, cmap.date_format)


# --- formatting a canonical frame as a CRM writes it -------------------------------------

_PAD2 = np.array([f"{i:02d}" for i in range(100)])
_PAD3 = np.array([f"{i:03d}" for i in range(1000)])
_DAY_FORMATS: dict[str, Callable[[Date], str]] = {
    "mdy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "ymd_slash": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "ymd_cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
}


def _format_dates(values: np.ndarray, style: str, mixed: np.ndarray | None = None) -> Any:
    """Dates (datetime64[m]) as text in ``style``; blank for NaT; ``excel`` keeps dates."""
    values = values.astype("M8[m]")
    missing = np.isnat(values)
    if style == "excel":  # real spreadsheet dates (small tables only: one object per cell)
        return [
            None if m else v.astype("M8[D]").item() for v, m in zip(values, missing, strict=True)
        ]
    if style == "ymd_mixed":  # hand-typed: some 2026/11/23, some 2026年11月23日
        slash = _format_dates(values, "ymd_slash")
        return np.where(mixed == 1, _format_dates(values, "ymd_cn"), slash)
    if style == "iso":
        text = np.datetime_as_string(values, unit="D")
    elif style == "iso_dt":
        text = np.strings.replace(np.datetime_as_string(values, unit="m"), "T", " ")
    elif style == "odoo":
        text = np.strings.replace(np.datetime_as_string(values, unit="s"), "T", " ")
    elif style == "sfdc":
        text = np.strings.add(np.datetime_as_string(values, unit="s"), ".000Z")
    else:
        days = values.astype("M8[D]")
        unique, inverse = np.unique(days[~missing], return_inverse=True)
        fmt = _DAY_FORMATS[style]
        pool = np.array([fmt(d.item()) for d in unique] or [""])
        text = np.full(len(values), "", dtype=pool.dtype)
        text[~missing] = pool[inverse]
    return np.where(missing, "", text)


def _concat(first: Any, *rest: Any) -> Any:
    """Element-wise string concatenation of arrays and strings, left to right."""
    for part in rest:
        first = np.strings.add(first, part)
    return first


def _low_group(whole: np.ndarray) -> np.ndarray:
    """The last three digits, zero-padded where more digits come before them."""
    group: np.ndarray = np.where(whole < 1000, whole.astype(str), _PAD3[whole % 1000])
    return group


def _grouped(whole: np.ndarray) -> np.ndarray:
    """Integers with thousands separators: 1200000 -> '1,200,000'."""
    out = _low_group(whole)
    rest = whole // 1000
    while (rest > 0).any():
        out = np.where(rest > 0, _concat(_low_group(rest), ",", out), out)
        rest = rest // 1000
    return out


def format_amounts(amount: np.ndarray, style: str, mixed: np.ndarray | None = None) -> Any:
    if style == "number":
        return amount
    cents = np.round(amount * 100).astype(np.int64)
    whole, frac = cents // 100, cents % 100
    plain = _concat(whole.astype(str), ".", _PAD2[frac])
    if style == "plain":
        return plain
    if style == "whole":
        return np.where(frac == 0, whole.astype(str), plain)
    grouped = _concat(_grouped(whole), ".", _PAD2[frac])
    if style == "grouped":
        return grouped
    # cny_mixed: ¥1,200,000.00 | 120万 | 1.5万元 (万 = 10,000), per deal
    hundreds = whole // 100
    wan, rem = hundreds // 100, hundreds % 100
    decimals = np.where(rem % 10 == 0, (rem // 10).astype(str), _PAD2[rem])
    wan_text = np.where(rem == 0, wan.astype(str), _concat(wan.astype(str), ".", decimals))
    exact = (cents % 10_000 == 0) & (wan > 0)
    style_of = np.where(exact, mixed if mixed is not None else 0, 0)
    return np.select(
        [style_of == 1, style_of == 2],
        [np.strings.add(wan_text, "万"), np.strings.add(wan_text, "万元")],
        np.strings.add("¥", grouped),
    )


def _format_probability(prob: np.ndarray, style: str) -> Any:
    percent = np.round(prob * 100).astype(np.int64)
    if style == "number":
        return percent
    if style == "fraction":
        return np.where(
            percent % 10 == 0,
            np.strings.add("0.", (percent // 10).astype(str)),
            np.strings.add("0.", _PAD2[percent % 100]),
        )
    if style == "percent_sign":
        return np.strings.add(percent.astype(str), "%")
    return percent.astype(str)


def _stage_names(model: StageModel, cmap: ColumnMap, dialect: Dialect) -> dict[str, str]:
    """The name the CRM prints for each stage key (one that reads back to that key)."""
    table = model.alias_table(cmap.stage_aliases)
    names = {}
    for stage in model.stages:
        candidates = [*dialect.stage_names, *cmap.stage_aliases]
        if dialect.lang == "zh":
            candidates.append(stage.label.get("zh", ""))
        candidates += [*stage.aliases, stage.label_in("en"), stage.key]
        names[stage.key] = next(
            c for c in candidates if c and table.get(normalize_label(c)) == stage.key
        )
    return names


def _raw_values(cmap: ColumnMap, fieldname: str, defaults: dict[str, str]) -> dict[str, str]:
    """Canonical value -> what the CRM writes, from the map's ``values`` (first raw wins)."""
    out = dict(defaults)
    seen: set[str] = set()
    for raw, key in cmap.values.get(fieldname, {}).items():
        if key not in seen:
            out[key] = raw
            seen.add(key)
    return out


def _flag_words(cmap: ColumnMap, fieldname: str, dialect: Dialect) -> tuple[list[str], list[str]]:
    """What the CRM prints for yes and for no in a flag column (several options each)."""
    table = cmap.values.get(fieldname)
    if not table:
        return [dialect.flags[0]], [dialect.flags[1]]
    yes = [raw for raw, value in table.items() if normalize_label(value) in TRUE_WORDS]
    no = [raw for raw, value in table.items() if normalize_label(value) not in TRUE_WORDS]
    return yes or [dialect.flags[0]], no or [dialect.flags[1]]


def _lookup(values: np.ndarray, table: dict[str, str]) -> np.ndarray:
    """Translate every value through ``table`` (unknown values stay), vectorised."""
    unique, inverse = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return np.array([table.get(u, u) for u in unique] or [""])[inverse]


def to_export(frame: Columns, cmap: ColumnMap, model: StageModel, dialect: Dialect) -> Columns:
    """Canonical columns as the CRM of ``cmap`` exports them: first header per field."""
    if len(frame["stage"]) == 0:  # numpy's string functions refuse empty arrays
        return {names[0]: np.array([], dtype=str) for names in cmap.columns.values()}
    seq = frame["_seq"]
    forecast = _raw_values(cmap, "forecast_category", _DEFAULT_FORECAST[dialect.lang])
    won, lost = model.won_stage.key, model.lost_stages[0].key
    stage = np.asarray(frame["stage"], dtype=str)
    outcome = np.select([stage == won, stage == lost], ["won", "lost"], "open")
    stamp_of_activity = dialect.date if dialect.stamp == "sfdc" else dialect.stamp
    out: Columns = {}
    for fieldname, headers in cmap.columns.items():
        if fieldname == "status":  # closed deals keep their last stage; status tells the outcome
            status = _raw_values(cmap, "status", {"open": "Open", "won": "Won", "lost": "Lost"})
            out[headers[0]] = _lookup(outcome, status)
            continue
        if fieldname not in frame:
            continue
        values = frame[fieldname]
        if fieldname == "stage":
            if "status" in cmap.columns:
                values = np.where(outcome == "open", stage, frame["_open_stage"])
            column: Any = _lookup(values, _stage_names(model, cmap, dialect))
        elif fieldname == "amount":
            column = format_amounts(values, dialect.amount, frame["_amount_style"])
        elif fieldname == "account_potential":
            column = format_amounts(values, dialect.amount)
        elif fieldname == "close_date":
            column = _format_dates(values, dialect.date, frame["_date_style"])
        elif fieldname == "created_date":
            column = _format_dates(values, dialect.stamp)
        elif fieldname == "last_activity_date":
            column = _format_dates(values, stamp_of_activity)
        elif fieldname == "probability":
            column = _format_probability(values, dialect.probability)
        elif fieldname == "forecast_category":
            column = _lookup(values, forecast)
        elif fieldname == "currency":
            column = _lookup(values, _raw_values(cmap, "currency", {}))
        elif values.dtype == bool:
            yes, no = (np.array(words) for words in _flag_words(cmap, fieldname, dialect))
            column = np.where(values, yes[seq % len(yes)], no[seq % len(no)])
        else:
            column = values
        out[headers[0]] = column
    return out


def columns_of(frame: pd.DataFrame) -> Columns:
    """A data frame as a table of columns (numpy arrays), ready for :func:`to_export`."""
    return {name: frame[name].to_numpy() for name in frame.columns}
